namespace OpenVocab.Inference;

/// <summary>Text encoder entry: <c>input_ids</c> int64 [B, L] to embeddings [B, D].</summary>
public sealed record TextEncoderManifest
{
    /// <summary>ONNX file.</summary>
    public string Onnx { get; init; } = "";

    /// <summary>Tokenizer files.</summary>
    public TokenizerManifest Tokenizer { get; init; } = new();

    /// <summary>Token context length L.</summary>
    public int ContextLength { get; init; } = 77;

    /// <summary>Name of the token-id input.</summary>
    public string InputIds { get; init; } = "input_ids";

    /// <summary>Name of the embedding output.</summary>
    public string Output { get; init; } = "text_embeds";

    /// <summary>
    /// Inputs of a graph shared with the image tower (an Optimum <c>model.onnx</c> holds both) that text encoding does
    /// not use, each with the shape of the constant placeholder (all ones) fed to it; null when there are none.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<long>>? PlaceholderInputs { get; init; }
}
