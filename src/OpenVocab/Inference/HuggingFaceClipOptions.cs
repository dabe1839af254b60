namespace OpenVocab.Inference;

/// <summary>
/// How a Hugging Face CLIP ONNX folder (no <c>openvocab.json</c>) is read by <see cref="ModelPack.Load(string, ModelPackOptions?)"/>
/// (given as <see cref="ModelPackOptions.HuggingFace"/>).
/// Immutable; validated when a folder is loaded.
/// </summary>
public sealed record HuggingFaceClipOptions
{
    /// <summary>The logit scale used when nothing in the folder gives it: 100, the value OpenAI's released CLIPs
    /// trained to (their <c>logit_scale.exp()</c> is clamped there).</summary>
    /// <remarks><c>config.json</c>'s <c>logit_scale_init_value</c> (2.6592 = ln(1/0.07)) is the value before training,
    /// not the trained one, so it is not used; a <c>"logit_scale"</c> key (the trained value, as a log) is.</remarks>
    public const float DefaultLogitScale = 100f;

    /// <summary>
    /// Which ONNX variant to load: null for the full-precision graphs (<c>onnx/text_model.onnx</c>), otherwise the
    /// suffix transformers.js uses, e.g. <c>"quantized"</c> for <c>onnx/text_model_quantized.onnx</c> (also
    /// <c>"int8"</c>, <c>"uint8"</c>, <c>"q4"</c>, <c>"bnb4"</c>). Variants with float16 inputs (<c>"fp16"</c>) are
    /// refused when the graph is opened, since the encoders feed float32.
    /// </summary>
    public string? Variant { get; init; }

    /// <summary>The logit scale when <c>config.json</c> has no trained <c>"logit_scale"</c>; null for <see cref="DefaultLogitScale"/>.</summary>
    public float? LogitScale { get; init; }

    /// <summary>Throws when a value is out of range.</summary>
    internal void Validate()
    {
        if (Variant is { } v && (v.Length == 0 || v.Any(c => !(char.IsAsciiLetterOrDigit(c) || c == '_'))))
        {
            throw new ArgumentException($"Variant '{v}' is not a file-name suffix: expected letters, digits or '_' (e.g. \"quantized\"), or null for the full-precision graphs.", nameof(Variant));
        }

        if (LogitScale is { } s && !(s > 0 && float.IsFinite(s)))
        {
            throw new ArgumentOutOfRangeException(nameof(LogitScale), s, "The logit scale must be a positive finite number.");
        }
    }
}
