namespace OpenVocab;

/// <summary>Root of all errors OpenVocab raises itself; argument errors use the <see cref="ArgumentException"/> family.</summary>
public class OpenVocabException : Exception
{
    /// <summary>Creates the error.</summary>
    public OpenVocabException() { }

    /// <summary>Creates the error.</summary>
    public OpenVocabException(string message) : base(message) { }

    /// <summary>Creates the error with its cause.</summary>
    public OpenVocabException(string message, Exception inner) : base(message, inner) { }
}
