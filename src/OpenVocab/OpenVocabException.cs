namespace OpenVocab; /// <summary>Root of all OpenVocab errors.</summary>
public class OpenVocabException : Exception { /// <summary>Creates the error.</summary>
public OpenVocabException(string message) : base(message) { } /// <summary>Creates the error with its cause.</summary>
public OpenVocabException(string message, Exception inner) : base(message, inner) { } /// <summary>Creates the error.</summary>
public OpenVocabException() { } }
