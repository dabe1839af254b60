namespace OpenVocab;

/// <summary>An image could not be decoded (missing, empty, truncated, not an image, too large).</summary>
public class ImageDecodeException : OpenVocabException
{
    /// <summary>Creates the error.</summary>
    public ImageDecodeException() { }

    /// <summary>Creates the error.</summary>
    public ImageDecodeException(string message) : base(message) { }

    /// <summary>Creates the error with its cause.</summary>
    public ImageDecodeException(string message, Exception inner) : base(message, inner) { }
}
