namespace OpenVocab.Inference;

/// <summary>
/// Tokenizer files: <see cref="Bpe"/> (OpenAI format, gz or plain), <see cref="Vocab"/> + <see cref="Merges"/>
/// (Hugging Face CLIPTokenizer), or <see cref="Json"/> (Hugging Face <c>tokenizer.json</c>).
/// </summary>
public sealed record TokenizerManifest
{
    /// <summary>Hugging Face <c>tokenizer.json</c> whose model is CLIP's byte-level BPE (vocab and merges are read from it).</summary>
    public string? Json { get; init; }

    /// <summary>OpenAI <c>bpe_simple_vocab_16e6.txt(.gz)</c>-format merges file.</summary>
    public string? Bpe { get; init; }

    /// <summary>Hugging Face <c>vocab.json</c>.</summary>
    public string? Vocab { get; init; }

    /// <summary>Hugging Face <c>merges.txt</c>.</summary>
    public string? Merges { get; init; }
}
