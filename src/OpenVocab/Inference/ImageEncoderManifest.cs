namespace OpenVocab.Inference;

/// <summary>Image encoder entry: <c>pixel_values</c> float32 [B, 3, S, S] to embeddings [B, D].</summary>
public sealed record ImageEncoderManifest
{
    /// <summary>ONNX file.</summary>
    public string Onnx { get; init; } = "";

    /// <summary>Name of the pixel input.</summary>
    public string Input { get; init; } = "pixel_values";

    /// <summary>Name of the embedding output.</summary>
    public string Output { get; init; } = "image_embeds";

    /// <summary>Square input size S; read from the graph when left out.</summary>
    public int? ImageSize { get; init; }

    /// <summary>Per-channel RGB mean (0..1 scale).</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0.48145466f, 0.4578275f, 0.40821073f];

    /// <summary>Per-channel RGB standard deviation.</summary>
    public IReadOnlyList<float> Std { get; init; } = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>Multiplier applied to cosine similarities before the softmax.</summary>
    public float LogitScale { get; init; } = 100f;

    /// <summary>
    /// How the centre-crop offset <c>(size - S) / 2</c> is rounded: <see cref="CropRoundHalfEven"/> (OpenAI's and
    /// torchvision's <c>CenterCrop</c>, the default) or <see cref="CropFloor"/> (Hugging Face's CLIPImageProcessor).
    /// The two differ by one pixel when the margin is odd and its half rounds up.
    /// </summary>
    public string CenterCrop { get; init; } = CropRoundHalfEven;

    /// <summary>torchvision's <c>round((size - S) / 2)</c>, Python's round half to even.</summary>
    public const string CropRoundHalfEven = "round";

    /// <summary>Hugging Face's <c>(size - S) // 2</c>.</summary>
    public const string CropFloor = "floor";

    /// <summary>
    /// Inputs of a graph shared with the text tower that image encoding does not use, each with the shape of the
    /// constant placeholder (all ones) fed to it; null when there are none.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<long>>? PlaceholderInputs { get; init; }
}
