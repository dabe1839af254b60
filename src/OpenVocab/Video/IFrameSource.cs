using OpenCvSharp;

namespace OpenVocab.Video;

/// <summary>
/// A sequence of 8-bit BGR frames: a video file, a camera, a folder of images or a network stream.
/// Not thread-safe: one reader at a time. <see cref="IDisposable.Dispose"/> releases the capture (and any child process).
/// </summary>
public interface IFrameSource : IDisposable
{
    /// <summary>What was opened (path, camera index or URL), for messages.</summary>
    string Name { get; }

    /// <summary>Frame width in pixels.</summary>
    int Width { get; }

    /// <summary>Frame height in pixels.</summary>
    int Height { get; }

    /// <summary>Nominal frames per second; 0 when unknown.</summary>
    double Fps { get; }

    /// <summary>
    /// Frame count the container claims, or null when unknown (live sources). Only an estimate for files: a damaged
    /// file may yield fewer; count what <see cref="Read"/> returns.
    /// </summary>
    long? FrameCount { get; }

    /// <summary>True for cameras and streams: frames arrive in real time and a consumer that falls behind must drop.</summary>
    bool IsLive { get; }

    /// <summary>Frames returned by <see cref="Read"/> so far.</summary>
    long FramesRead { get; }

    /// <summary>Frames (or images) that could not be decoded and were skipped.</summary>
    long FramesSkipped { get; }

    /// <summary>
    /// Reads the next frame into <paramref name="destination"/> (reallocated only when its size or type differs).
    /// Returns false at the end of the source. Unreadable frames are skipped and counted in <see cref="FramesSkipped"/>.
    /// </summary>
    /// <exception cref="VideoSourceException">The source failed (stream lost, stalled, device gone); <see cref="Reopen"/> may recover.</exception>
    bool Read(Mat destination, out FrameInfo frame);

    /// <summary>
    /// Closes and opens the source again after a failure. Files continue after the last frame read; live sources
    /// continue with the newest frame. Frame indices continue from where they were.
    /// </summary>
    /// <exception cref="VideoSourceException">The source could not be opened.</exception>
    void Reopen();
}
