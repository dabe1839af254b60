namespace OpenVocab.Search;

/// <summary>
/// An image index was built with a different image encoder (pack, ONNX file, embedding size or input size) than the
/// one it is used with: its vectors live in another embedding space. Rebuild the index, or use the model it names.
/// </summary>
public class ImageIndexModelMismatchException : ImageIndexException
{
    /// <summary>Creates the error.</summary>
    public ImageIndexModelMismatchException() { }

    /// <summary>Creates the error.</summary>
    public ImageIndexModelMismatchException(string message) : base(message) { }

    /// <summary>Creates the error with its cause.</summary>
    public ImageIndexModelMismatchException(string message, Exception inner) : base(message, inner) { }
}
