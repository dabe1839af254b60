namespace OpenVocab.Text;

/// <summary>
/// What tokenising one text produced, without the ids: how many ids were written and how many the text needed.
/// </summary>
/// <param name="Length">
/// Ids written, including start- and end-of-text, at most <see cref="ClipTokenizer.ContextLength"/>. The ids after
/// them (up to the context length) are padding zeros; an attention mask is 1 for the first <paramref name="Length"/>.
/// </param>
/// <param name="TokenCount">Ids the text needs without truncation, including start- and end-of-text.</param>
public readonly record struct ClipTokenizationInfo(int Length, int TokenCount)
{
    /// <summary>Whether the text was cut to fit the context length (the end-of-text id is then kept last).</summary>
    public bool Truncated => TokenCount > Length;
}
