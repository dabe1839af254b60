namespace OpenVocab;

/// <summary>
/// A model or tokenizer file could not be loaded: it is missing, empty, unreadable or not in the expected format.
/// The message names the file and what was expected.
/// </summary>
public class ModelLoadException : OpenVocabException
{
    /// <summary>Creates the error.</summary>
    public ModelLoadException()
    {
    }

    /// <summary>Creates the error.</summary>
    /// <param name="message">What went wrong.</param>
    public ModelLoadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the error with its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="inner">The error that caused this one.</param>
    public ModelLoadException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the error for a file; the message is prefixed with the file's path.</summary>
    /// <param name="filePath">The file that could not be loaded.</param>
    /// <param name="message">What was expected and what was found.</param>
    /// <param name="inner">The error that caused this one, if any.</param>
    public ModelLoadException(string filePath, string message, Exception? inner)
        : base($"{filePath}: {message}", inner!)
    {
        FilePath = filePath;
    }

    /// <summary>The file that could not be loaded, when known.</summary>
    public string? FilePath { get; }
}
