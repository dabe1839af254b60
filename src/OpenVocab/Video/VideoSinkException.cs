namespace OpenVocab.Video;

/// <summary>An output (video file, JSON Lines file) could not be opened or written.</summary>
public class VideoSinkException : OpenVocabException
{
    /// <summary>Creates the error.</summary>
    public VideoSinkException() { }

    /// <summary>Creates the error.</summary>
    public VideoSinkException(string message) : base(message) { }

    /// <summary>Creates the error with its cause.</summary>
    public VideoSinkException(string message, Exception inner) : base(message, inner) { }
}
