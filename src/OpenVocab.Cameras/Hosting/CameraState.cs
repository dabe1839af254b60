namespace OpenVocab.Cameras.Hosting;

/// <summary>Where a camera is in its life.</summary>
public enum CameraState
{
    /// <summary>Opening its source.</summary>
    Starting,

    /// <summary>Frames are flowing.</summary>
    Running,

    /// <summary>Its source failed; waiting to open it again.</summary>
    Reconnecting,

    /// <summary>A file that ended (without <c>loop</c>).</summary>
    Finished,

    /// <summary>Removed or the host stopped.</summary>
    Stopped,
}
