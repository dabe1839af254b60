namespace OpenVocab.Inference;

/// <summary>How <see cref="ModelPack.Load(string, ModelPackOptions?)"/> treats a pack's manifest. Immutable.</summary>
public sealed record ModelPackOptions
{
    /// <summary>The defaults: a pack may name only files inside its own folder.</summary>
    public static ModelPackOptions Default { get; } = new();

    /// <summary>
    /// Whether the manifest may name files outside the pack folder: <c>"../x.onnx"</c>, an absolute path, or a
    /// symbolic link (in any part of the path) whose target lies outside. Default false: packs are downloaded and
    /// shared, and a manifest that reaches elsewhere on the disk is refused with a <see cref="ModelLoadException"/>
    /// naming the key, the path and the pack folder. Set it for a pack you wrote yourself that shares files with
    /// another. The check follows every link before comparing, so a link inside the pack to a file inside the pack
    /// is always fine. The CLI's <c>--allow-external-paths</c> sets it.
    /// </summary>
    public bool AllowExternalPaths { get; init; }

    /// <summary>
    /// How a Hugging Face CLIP folder without a manifest is read (ONNX variant, logit scale); defaults when null.
    /// Ignored for a pack with a manifest.
    /// </summary>
    public HuggingFaceClipOptions? HuggingFace { get; init; }
}
