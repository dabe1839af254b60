namespace OpenVocab.Cli.Models;

/// <summary>A model could not be fetched from the hub or found in the cache; the message says what to do.</summary>
public sealed class HubException : OpenVocabException
{
    /// <summary>Creates the exception.</summary>
    public HubException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public HubException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public HubException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
