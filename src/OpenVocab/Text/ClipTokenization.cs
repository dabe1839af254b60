namespace OpenVocab.Text;

/// <summary>The ids of one text, from <see cref="ClipTokenizer.Tokenize(string)"/>.</summary>
public sealed class ClipTokenization
{
    private readonly int[] _ids;

    internal ClipTokenization(int[] ids, int tokenCount)
    {
        _ids = ids;
        TokenCount = tokenCount;
    }

    /// <summary>
    /// The ids: start-of-text, the text's tokens, end-of-text; not padded, at most the context length. The list is
    /// this object's own and never changes.
    /// </summary>
    public IReadOnlyList<int> Ids => _ids;

    /// <summary>Ids the text needs without truncation, including start- and end-of-text.</summary>
    public int TokenCount { get; }

    /// <summary>Whether the text was cut to fit the context length (the end-of-text id is then kept last).</summary>
    public bool Truncated => TokenCount > _ids.Length;

    /// <summary>The same result without the ids.</summary>
    public ClipTokenizationInfo Info => new(_ids.Length, TokenCount);

    /// <summary>The ids as a span.</summary>
    public ReadOnlySpan<int> AsSpan() => _ids;
}
