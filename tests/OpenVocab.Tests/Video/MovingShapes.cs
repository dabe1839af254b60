using OpenCvSharp;
using OpenVocab.Detection;
using OpenVocab.Video;

namespace OpenVocab.Tests.Video;

/// <summary>
/// A generated scene with known trajectories: a red circle moving left to right and a blue square moving right to
/// left on a grey background; they cross once, half way, overlapping partly.
/// </summary>
internal static class MovingShapes
{
    public const int Width = 320, Height = 240, Size = 70;

    public static readonly string[] Classes = ["red circle", "blue square"];

    /// <summary>True boxes of frame <paramref name="i"/> of <paramref name="frames"/>: label and box.</summary>
    public static (string Label, BoundingBox Box)[] Truth(int i, int frames)
    {
        var t = frames <= 1 ? 0 : i / (double)(frames - 1);
        var circleX = 10 + (t * (Width - 20 - Size));
        var squareX = Width - 10 - Size - (t * (Width - 20 - Size));
        return
        [
            ("red circle", new BoundingBox((float)circleX, 60, (float)circleX + Size, 60 + Size)),
            ("blue square", new BoundingBox((float)squareX, 110, (float)squareX + Size, 110 + Size)),
        ];
    }

    /// <summary>Draws frame <paramref name="i"/> into <paramref name="image"/> (allocated when needed).</summary>
    public static void Draw(Mat image, int i, int frames, int width = Width, int height = Height)
    {
        image.Create(height, width, MatType.CV_8UC3);
        image.SetTo(new Scalar(128, 128, 128));
        var sx = width / (double)Width;
        var sy = height / (double)Height;
        var truth = Truth(i, frames);
        var square = truth[1].Box;
        Cv2.Rectangle(image, new Point(square.X1 * sx, square.Y1 * sy), new Point((square.X2 * sx) - 1, (square.Y2 * sy) - 1), new Scalar(225, 70, 40), -1, LineTypes.AntiAlias);
        var circle = truth[0].Box;
        Cv2.Circle(image, new Point((circle.X1 + circle.X2) / 2 * sx, (circle.Y1 + circle.Y2) / 2 * sy), (int)(Size / 2 * Math.Min(sx, sy)),
            new Scalar(40, 40, 220), -1, LineTypes.AntiAlias);
    }

    /// <summary>Writes the scene as a video file (.mp4 mp4v or .avi MJPG).</summary>
    public static void WriteVideo(string path, int frames, double fps = 25)
    {
        var fourcc = path.EndsWith(".avi", StringComparison.OrdinalIgnoreCase) ? FourCC.FromString("MJPG") : FourCC.FromString("mp4v");
        using var writer = new VideoWriter(path, fourcc, fps, new OpenCvSharp.Size(Width, Height));
        Assert.True(writer.IsOpened());
        using var image = new Mat();
        for (var i = 0; i < frames; i++)
        {
            Draw(image, i, frames);
            writer.Write(image);
        }
    }
}

/// <summary>An in-memory source of the moving-shapes scene, with hooks to fail, pace and observe it.</summary>
internal sealed class SyntheticSource(int frames, int width = MovingShapes.Width, int height = MovingShapes.Height, bool live = false) : IFrameSource
{
    private int _next;

    public string Name => "synthetic";

    public int Width => width;

    public int Height => height;

    public double Fps => 25;

    public long? FrameCount => live ? null : frames;

    public bool IsLive => live;

    public long FramesRead { get; private set; }

    public long FramesSkipped => 0;

    /// <summary>Throw a VideoSourceException when this frame index is next (once).</summary>
    public int FailAt { get; init; } = -1;

    /// <summary>Sleep before each frame (a paced live source).</summary>
    public TimeSpan Pace { get; init; }

    /// <summary>When positive, the scene restarts every this many frames (objects jump back, so tracks end and new ones start).</summary>
    public int Period { get; init; }

    /// <summary>Draw the scene (false: only fill the Mat cheaply).</summary>
    public bool Render { get; init; } = true;

    public int Reopens { get; private set; }

    public bool Disposed { get; private set; }

    /// <summary>Index of the newest frame handed out.</summary>
    public long Newest => Volatile.Read(ref _newest);

    private long _newest = -1;

    public bool Read(Mat destination, out FrameInfo frame)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        if (_next == FailAt && Reopens == 0)
        {
            throw new VideoSourceException("injected failure");
        }

        if (_next >= frames)
        {
            frame = default;
            return false;
        }

        if (Pace > TimeSpan.Zero)
        {
            Thread.Sleep(Pace);
        }

        if (Render)
        {
            if (Period > 0)
            {
                MovingShapes.Draw(destination, _next % Period, Period, width, height);
            }
            else
            {
                MovingShapes.Draw(destination, _next, frames, width, height);
            }
        }
        else
        {
            destination.Create(height, width, MatType.CV_8UC3);
            destination.SetTo(new Scalar(_next % 256));
        }

        frame = new FrameInfo(_next, TimeSpan.FromMilliseconds(_next * 40));
        Volatile.Write(ref _newest, _next);
        _next++;
        FramesRead++;
        return true;
    }

    /// <summary>Every Reopen fails (a camera or stream that stays gone).</summary>
    public bool ReopenFails { get; init; }

    public void Reopen()
    {
        Reopens++;
        if (ReopenFails)
        {
            throw new VideoSourceException("injected reopen failure");
        }
    }

    public void Dispose() => Disposed = true;
}
