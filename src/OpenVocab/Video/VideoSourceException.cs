namespace OpenVocab.Video;

/// <summary>A video source could not be opened, or failed while reading (stream lost or stalled, device gone).</summary>
public class VideoSourceException : OpenVocabException
{
    /// <summary>Creates the error.</summary>
    public VideoSourceException() { }

    /// <summary>Creates the error.</summary>
    public VideoSourceException(string message) : base(message) { }

    /// <summary>Creates the error with its cause.</summary>
    public VideoSourceException(string message, Exception inner) : base(message, inner) { }
}
