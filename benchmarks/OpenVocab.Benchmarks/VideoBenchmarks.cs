using BenchmarkDotNet.Attributes;
using OpenCvSharp;
using OpenVocab.Detection;
using OpenVocab.Tracking;
using OpenVocab.Video;

namespace OpenVocab.Benchmarks;

/// <summary>
/// The video pipeline on a generated 640x360 mp4v video of moving shapes, with the shipped pack, tracking and a JSON
/// Lines sink: the whole pipeline (stages overlapped on their own threads) against each stage run alone over the same
/// frames, and against the stages run one after another on one thread. Every benchmark handles <see cref="Frames"/>
/// frames per invocation, so the reported time and allocated bytes are per frame. Compare
/// <see cref="Pipelined"/> with the sum of <see cref="Capture"/>, <see cref="Detect"/> and <see cref="TrackAndSink"/>
/// (1 / sum is what a loop without overlap could reach) and with the slowest of them (the ceiling).
/// </summary>
[MemoryDiagnoser]
public class VideoBenchmarks
{
    private const int Frames = 100, Width = 640, Height = 360;
    private static readonly (string Label, Scalar Colour, int Y, int Size, double Speed)[] Shapes =
    [
        ("red circle", new Scalar(40, 40, 220), 60, 80, 1.0),
        ("blue square", new Scalar(225, 70, 40), 150, 90, -0.8),
        ("green triangle", new Scalar(60, 180, 60), 250, 70, 0.6),
        ("yellow circle", new Scalar(40, 220, 230), 200, 60, -1.3),
    ];

    // What the pipeline runs detection with when tracking is on: the tracker decides.
    private readonly DetectionOptions _options = new ByteTracker().DetectorOptions;
    private string _folder = "";
    private string _video = "";
    private Detector _detector = null!;
    private Mat[] _decoded = [];
    private DetectionResult[] _results = [];
    private readonly List<VideoRunStatistics> _runs = [];

    [GlobalSetup]
    public void Setup()
    {
        _folder = Directory.CreateTempSubdirectory("openvocab-bench-").FullName;
        _video = Path.Combine(_folder, "shapes.mp4");
        WriteVideo(_video);
        _detector = Detector.Load(TestPaths.ShapesPack);
        _detector.SetClasses([.. Shapes.Select(s => s.Label)]);
        using var source = VideoSource.Open(_video);
        var frames = new List<Mat>();
        var frame = new Mat();
        while (source.Read(frame, out _))
        {
            frames.Add(frame);
            frame = new Mat();
        }

        frame.Dispose();
        if (frames.Count != Frames)
        {
            throw new InvalidOperationException($"The generated video read back as {frames.Count} frames, not {Frames}.");
        }

        _decoded = [.. frames];
        _results = [.. _decoded.Select(f => _detector.Detect(f, _options))];
    }

    /// <summary>Capture stage alone: open the file and read (decode) every frame into one reused Mat.</summary>
    [Benchmark(OperationsPerInvoke = Frames)]
    public long Capture()
    {
        using var source = VideoSource.Open(_video);
        using var frame = new Mat();
        while (source.Read(frame, out _))
        {
        }

        return source.FramesRead;
    }

    /// <summary>Detection stage alone on the decoded frames: letterbox, inference, decoding and NMS.</summary>
    [Benchmark(OperationsPerInvoke = Frames)]
    public int Detect()
    {
        var found = 0;
        foreach (var frame in _decoded)
        {
            found += _detector.Detect(frame, _options).Detections.Count;
        }

        return found;
    }

    /// <summary>Last stage alone on the detector's results: ByteTrack update, the frame result, the JSON Lines sink.</summary>
    [Benchmark(OperationsPerInvoke = Frames)]
    public int TrackAndSink()
    {
        var tracker = new ByteTracker();
        using var sink = new JsonLinesWriter(Stream.Null);
        var tracked = 0;
        for (var i = 0; i < Frames; i++)
        {
            var result = _results[i];
            var kept = tracker.Update(result.Detections);
            sink.Write(new FrameResult(i, TimeSpan.FromMilliseconds(i * 40), Width, Height, kept, result.Timings, 0, 0), _decoded[i]);
            tracked += kept.Count(d => d.TrackId is not null);
        }

        return tracked;
    }

    /// <summary>The three stages one after another on one thread, per frame: what a plain loop gets.</summary>
    [Benchmark(OperationsPerInvoke = Frames)]
    public int Sequential()
    {
        using var source = VideoSource.Open(_video);
        using var frame = new Mat();
        var tracker = new ByteTracker();
        using var sink = new JsonLinesWriter(Stream.Null);
        var tracked = 0;
        while (source.Read(frame, out var info))
        {
            var result = _detector.Detect(frame, _options);
            var kept = tracker.Update(result.Detections);
            sink.Write(new FrameResult(info.Index, info.Timestamp, Width, Height, kept, result.Timings, 0, 0), frame);
            tracked += kept.Count(d => d.TrackId is not null);
        }

        return tracked;
    }

    /// <summary>The pipeline: capture, detection and tracking + sink overlapped on three threads, every frame in order.</summary>
    [Benchmark(OperationsPerInvoke = Frames)]
    public async Task<int> Pipelined()
    {
        using var sink = new JsonLinesWriter(Stream.Null);
        var video = new VideoDetector(_detector, new VideoDetectorOptions { Tracking = new TrackerOptions(), Sinks = [sink] });
        var tracked = 0;
        await foreach (var r in video.RunAsync(_video).ConfigureAwait(false))
        {
            tracked += r.Detections.Count(d => d.TrackId is not null);
        }

        _runs.Add(video.Statistics!);
        return tracked;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_runs.Count > 0)
        {
            // Stage times from the pipelined runs themselves: no drift between separately timed benchmarks on a shared machine.
            var runs = _runs.Skip(_runs.Count / 2).ToList(); // the later half: after jitting and warm-up
            var fps = runs.Sum(r => r.FramesProcessed) / runs.Sum(r => r.Elapsed.TotalSeconds);
            var capture = runs.Average(r => r.CaptureMs);
            var detect = runs.Average(r => r.PreprocessMs + r.InferenceMs + r.PostprocessMs);
            var post = runs.Average(r => r.TrackingMs + r.SinkMs);
            var sum = capture + detect + post;
            var slowest = Math.Max(capture, Math.Max(detect, post));
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"// Pipelined, {runs.Count} runs: {fps:0.0} fps; stage means in the same runs: capture {capture:0.000} ms, detect {detect:0.000} ms, track+sink {post:0.000} ms; " +
                $"sum {sum:0.000} ms ({1000 / sum:0.0} fps) -> ratio {fps * sum / 1000:0.000}; slowest {slowest:0.000} ms ({1000 / slowest:0.0} fps) -> ratio {fps * slowest / 1000:0.000}"));
        }

        _detector.Dispose();
        foreach (var m in _decoded)
        {
            m.Dispose();
        }

        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>Shapes crossing the frame at different speeds and heights, bouncing off the sides (known, smooth motion).</summary>
    private static void WriteVideo(string path)
    {
        using var writer = new VideoWriter(path, FourCC.FromString("mp4v"), 25, new OpenCvSharp.Size(Width, Height));
        if (!writer.IsOpened())
        {
            throw new InvalidOperationException($"OpenCV could not write '{path}'.");
        }

        using var image = new Mat(Height, Width, MatType.CV_8UC3);
        for (var i = 0; i < Frames; i++)
        {
            image.SetTo(new Scalar(128, 128, 128));
            foreach (var (label, colour, y, size, speed) in Shapes)
            {
                // Position bounces between the left and right edges.
                var span = Width - size;
                var travel = Math.Abs(((i * speed * 6) + (span / 2.0)) % (2 * span));
                var x = (int)(travel > span ? (2 * span) - travel : travel);
                var centre = new Point(x + (size / 2), y + (size / 2));
                if (label.EndsWith("circle", StringComparison.Ordinal))
                {
                    Cv2.Circle(image, centre, size / 2, colour, -1, LineTypes.AntiAlias);
                }
                else if (label.EndsWith("square", StringComparison.Ordinal))
                {
                    Cv2.Rectangle(image, new Rect(x, y, size, size), colour, -1, LineTypes.AntiAlias);
                }
                else
                {
                    Cv2.FillPoly(image, [[new Point(centre.X, y), new Point(x + size, y + size), new Point(x, y + size)]], colour, LineTypes.AntiAlias);
                }
            }

            writer.Write(image);
        }
    }
}
