namespace OpenVocab.Cameras.Hosting;

/// <summary>
/// An <see cref="ICameraControl"/> cannot make a change now, though the request is valid: a cluster with no room for
/// another camera, or whose storage is unreachable. The message says which and what to do; trying again later may
/// work (the server answers 503).
/// </summary>
public sealed class CameraControlUnavailableException : OpenVocabException
{
    /// <summary>Creates the exception.</summary>
    public CameraControlUnavailableException()
    {
    }

    /// <summary>Creates the exception with its message.</summary>
    public CameraControlUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and cause.</summary>
    public CameraControlUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
