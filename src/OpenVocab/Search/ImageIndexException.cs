namespace OpenVocab.Search;

/// <summary>An image index file cannot be used: not an index, another format version, truncated or damaged.</summary>
public class ImageIndexException : OpenVocabException
{
    /// <summary>Creates the error.</summary>
    public ImageIndexException() { }

    /// <summary>Creates the error.</summary>
    public ImageIndexException(string message) : base(message) { }

    /// <summary>Creates the error with its cause.</summary>
    public ImageIndexException(string message, Exception inner) : base(message, inner) { }
}
