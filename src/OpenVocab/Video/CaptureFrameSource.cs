using System.Diagnostics;
using OpenCvSharp;

namespace OpenVocab.Video;

/// <summary>
/// A video file or camera read through OpenCV's <see cref="VideoCapture"/> (the bundled FFmpeg reads local files
/// and pipes only; network URLs go through <see cref="StreamFrameSource"/>). Not thread-safe.
/// </summary>
public sealed class CaptureFrameSource : IFrameSource
{
    private readonly string? _path;
    private readonly int _camera;
    private readonly Stopwatch _clock = new();
    private VideoCapture? _capture;
    private long _nextIndex;

    private CaptureFrameSource(string? path, int camera)
    {
        _path = path;
        _camera = camera;
        Name = path ?? $"camera {camera}";
        IsLive = path is null;
        Open(seekTo: 0);
        Width = _capture!.FrameWidth;
        Height = _capture.FrameHeight;
        Fps = _capture.Fps is > 0 and < 1000 ? _capture.Fps : 0;
        var count = path is null ? -1 : _capture.FrameCount;
        FrameCount = count > 0 ? count : null;
        _clock.Start();
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int Width { get; }

    /// <inheritdoc/>
    public int Height { get; }

    /// <inheritdoc/>
    public double Fps { get; }

    /// <inheritdoc/>
    public long? FrameCount { get; }

    /// <inheritdoc/>
    public bool IsLive { get; }

    /// <inheritdoc/>
    public long FramesRead { get; private set; }

    /// <inheritdoc/>
    public long FramesSkipped { get; private set; }

    /// <summary>Opens a local video file (anything the bundled FFmpeg reads: MP4, AVI, MKV, MJPG, ...).</summary>
    /// <exception cref="VideoSourceException">The file is missing or not a readable video.</exception>
    public static CaptureFrameSource OpenFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new VideoSourceException($"Video file '{path}' does not exist.");
        }

        return new CaptureFrameSource(Path.GetFullPath(path), -1);
    }

    /// <summary>Opens a camera by index. A missing camera fails in about 0.2 s.</summary>
    /// <exception cref="VideoSourceException">No camera with this index could be opened.</exception>
    public static CaptureFrameSource OpenCamera(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new CaptureFrameSource(null, index);
    }

    /// <inheritdoc/>
    public bool Read(Mat destination, out FrameInfo frame)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var capture = _capture ?? throw new ObjectDisposedException(nameof(CaptureFrameSource));
        while (true)
        {
            if (!capture.Grab())
            {
                frame = default;
                if (IsLive)
                {
                    throw new VideoSourceException($"Camera {_camera} stopped delivering frames.");
                }

                return false;
            }

            var index = _nextIndex++;
            // Damaged frames can fail to decode after a successful grab: skip them, keep going.
            if (!capture.Retrieve(destination) || destination.Empty())
            {
                FramesSkipped++;
                continue;
            }

            var time = IsLive ? _clock.Elapsed : FileTime(capture, index);
            FramesRead++;
            frame = new FrameInfo(index, time);
            return true;
        }
    }

    /// <inheritdoc/>
    public void Reopen()
    {
        _capture?.Dispose();
        _capture = null;
        Open(seekTo: IsLive ? 0 : _nextIndex);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _capture?.Dispose();
        _capture = null;
    }

    private TimeSpan FileTime(VideoCapture capture, long index)
    {
        var ms = capture.PosMsec;
        if (ms > 0 || index == 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        return Fps > 0 ? TimeSpan.FromSeconds(index / Fps) : TimeSpan.Zero;
    }

    private void Open(long seekTo)
    {
        VideoCapture capture;
        if (_path is not null)
        {
            capture = new VideoCapture(_path, VideoCaptureAPIs.FFMPEG);
        }
        else
        {
            // V4L/FFmpeg print probing noise for a missing device; the exception below says what matters.
            var level = Cv2.GetLogLevel();
            Cv2.SetLogLevel(LogLevel.SILENT);
            try
            {
                capture = new VideoCapture(_camera, VideoCaptureAPIs.ANY);
            }
            finally
            {
                Cv2.SetLogLevel(level);
            }
        }

        if (!capture.IsOpened())
        {
            capture.Dispose();
            throw new VideoSourceException(_path is not null
                ? $"Video file '{_path}' could not be opened: not a video the bundled FFmpeg can read, or damaged (an MP4 whose index was never written does not open)."
                : $"Camera {_camera} could not be opened: no such device, or it is in use.");
        }

        if (seekTo > 0)
        {
            capture.Set(VideoCaptureProperties.PosFrames, seekTo);
        }

        _capture = capture;
    }
}
