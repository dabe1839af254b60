using OpenCvSharp;
using OpenVocab.Drawing;

namespace OpenVocab.Video;

/// <summary>
/// Writes annotated frames (boxes, labels, track ids) to a video file: <c>.mp4</c> as MPEG-4 Part 2 (mp4v) or
/// <c>.avi</c> as Motion JPEG. Frames of another size are resized to the writer's size. Not thread-safe.
/// </summary>
public sealed class AnnotatedVideoWriter : IFrameSink, IDisposable
{
    private readonly VideoWriter _writer;
    private readonly Mat _canvas = new();
    private readonly Size _size;

    private AnnotatedVideoWriter(VideoWriter writer, Size size, string path)
    {
        _writer = writer;
        _size = size;
        Path = path;
    }

    /// <summary>The output file.</summary>
    public string Path { get; }

    /// <summary>Frames written so far.</summary>
    public long FramesWritten { get; private set; }

    /// <summary>
    /// Opens the output now, so that a bad path fails before any work starts. The container is chosen by extension.
    /// </summary>
    /// <param name="path">Output file, .mp4 or .avi; its folder must exist.</param>
    /// <param name="width">Frame width.</param>
    /// <param name="height">Frame height.</param>
    /// <param name="fps">Frame rate written into the file; a non-positive value writes 25.</param>
    /// <exception cref="VideoSinkException">Unsupported extension, missing folder, or the writer would not open; the message says which.</exception>
    public static AnnotatedVideoWriter Create(string path, int width, int height, double fps)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        var fourcc = ext switch
        {
            ".mp4" or ".m4v" or ".mov" => FourCC.FromString("mp4v"),
            ".avi" => FourCC.FromString("MJPG"),
            _ => throw new VideoSinkException($"Cannot write video '{path}': the extension '{ext}' is not supported; use .mp4 (mp4v) or .avi (MJPG)."),
        };
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
        {
            throw new VideoSinkException($"Cannot write video '{path}': the folder '{dir}' does not exist.");
        }

        var size = new Size(width, height);
        var writer = new VideoWriter(full, VideoCaptureAPIs.FFMPEG, fourcc, fps > 0 && fps < 1000 ? fps : 25, size, isColor: true);
        if (!writer.IsOpened())
        {
            writer.Dispose();
            throw new VideoSinkException($"Cannot write video '{path}': OpenCV's FFmpeg writer would not open it (is the folder writable, and the file not a folder?).");
        }

        return new AnnotatedVideoWriter(writer, size, full);
    }

    /// <inheritdoc/>
    public void Write(FrameResult result, Mat frame)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Width == _size.Width && frame.Height == _size.Height)
        {
            frame.CopyTo(_canvas);
            Annotator.Draw(_canvas, result.Detections);
        }
        else
        {
            // Draw at the frame's own size so boxes stay in its coordinates, then fit the writer.
            using var drawn = frame.Clone();
            Annotator.Draw(drawn, result.Detections);
            Cv2.Resize(drawn, _canvas, _size);
        }

        _writer.Write(_canvas);
        FramesWritten++;
    }

    /// <summary>Finishes the file.</summary>
    public void Dispose()
    {
        _writer.Release();
        _writer.Dispose();
        _canvas.Dispose();
    }
}
