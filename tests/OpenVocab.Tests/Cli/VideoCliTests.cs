using System.Text.Json;
using OpenCvSharp;
using OpenVocab.Tests.Video;

namespace OpenVocab.Tests.Cli;

/// <summary><c>openvocab video</c> run as a process on a generated video of the moving-shapes scene.</summary>
public sealed class VideoCliTests : IDisposable
{
    private const int Frames = 30;
    private static readonly string Classes = string.Join(",", MovingShapes.Classes);
    private readonly TempDir _dir = new();
    private readonly string _video;

    public VideoCliTests()
    {
        _video = _dir.File("shapes.avi");
        MovingShapes.WriteVideo(_video, Frames);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Jsonl_has_one_object_per_frame_in_the_documented_shape_and_json_prints_the_run_statistics()
    {
        var jsonl = _dir.File("out.jsonl");
        var (code, stdout, stderr) = CliProcess.Run("video", _video, "--classes", Classes, "--jsonl", jsonl, "--json");
        Assert.True(code == 0, stderr);

        var lines = File.ReadAllLines(jsonl);
        Assert.Equal(Frames, lines.Length);
        var detections = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            var root = doc.RootElement;
            Assert.Equal(["frame", "timeMs", "detections"], root.EnumerateObject().Select(p => p.Name));
            Assert.Equal(i, root.GetProperty("frame").GetInt32());
            Assert.Equal(i * 40.0, root.GetProperty("timeMs").GetDouble(), 1);
            foreach (var d in root.GetProperty("detections").EnumerateArray())
            {
                detections++;
                Assert.Equal(["label", "classIndex", "score", "box"], d.EnumerateObject().Select(p => p.Name));
                var label = d.GetProperty("label").GetString();
                Assert.Equal(Array.IndexOf(MovingShapes.Classes, label), d.GetProperty("classIndex").GetInt32());
                Assert.InRange(d.GetProperty("score").GetDouble(), 0.25, 1.0);
                var box = d.GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                Assert.Equal(4, box.Length);
                Assert.True(box[0] < box[2] && box[1] < box[3] && box[0] >= 0 && box[3] <= MovingShapes.Height, string.Join(",", box));
                Assert.False(d.TryGetProperty("trackId", out _), "an untracked detection has no trackId");
            }
        }

        // Both shapes are found in (nearly) every frame.
        Assert.InRange(detections, 2 * Frames * 9 / 10, 2 * Frames);

        using var stats = JsonDocument.Parse(stdout);
        var s = stats.RootElement;
        Assert.Equal(_video, s.GetProperty("source").GetString());
        Assert.Equal(Frames, s.GetProperty("framesRead").GetInt32());
        Assert.Equal(Frames, s.GetProperty("framesProcessed").GetInt32());
        Assert.Equal(0, s.GetProperty("framesDropped").GetInt32());
        Assert.Equal(0, s.GetProperty("reconnects").GetInt32());
        Assert.True(s.GetProperty("fps").GetDouble() > 0);
        Assert.True(s.GetProperty("speedMs").GetProperty("inference").GetDouble() > 0);
        Assert.True(s.GetProperty("speedMs").GetProperty("outputs").GetDouble() > 0);
    }

    [Theory]
    [InlineData("mp4")]
    [InlineData("avi")]
    public void Save_writes_a_readable_video_with_every_frame(string extension)
    {
        var output = _dir.File("annotated." + extension);
        var (code, _, stderr) = CliProcess.Run("video", _video, "--classes", Classes, "--save", output);
        Assert.True(code == 0, stderr);
        using var capture = new VideoCapture(output);
        Assert.True(capture.IsOpened());
        Assert.Equal((MovingShapes.Width, MovingShapes.Height), (capture.FrameWidth, capture.FrameHeight));
        var read = 0;
        using var frame = new Mat();
        while (capture.Read(frame) && !frame.Empty())
        {
            read++;
        }

        Assert.Equal(Frames, read);
    }

    [Fact]
    public void Track_gives_each_shape_one_persistent_id()
    {
        var jsonl = _dir.File("tracked.jsonl");
        var (code, _, stderr) = CliProcess.Run("video", _video, "--classes", Classes, "--jsonl", jsonl, "--track");
        Assert.True(code == 0, stderr);
        var ids = new Dictionary<string, List<int?>>();
        foreach (var line in File.ReadLines(jsonl))
        {
            using var doc = JsonDocument.Parse(line);
            foreach (var d in doc.RootElement.GetProperty("detections").EnumerateArray())
            {
                var id = d.TryGetProperty("trackId", out var t) ? t.GetInt32() : (int?)null;
                ids.TryAdd(d.GetProperty("label").GetString()!, []);
                ids[d.GetProperty("label").GetString()!].Add(id);
            }
        }

        Assert.Equal(MovingShapes.Classes.Order(), ids.Keys.Order());
        foreach (var (label, list) in ids)
        {
            Assert.True(list.Count(id => id is not null) >= list.Count * 9 / 10, $"{label}: {list.Count(id => id is null)} of {list.Count} without a track id");
            Assert.Single(list.OfType<int>().Distinct());
        }

        Assert.NotEqual(ids[MovingShapes.Classes[0]].OfType<int>().First(), ids[MovingShapes.Classes[1]].OfType<int>().First());
    }

    [Fact]
    public void Stride_and_max_frames_limit_what_is_read_and_detected()
    {
        var jsonl = _dir.File("strided.jsonl");
        var (code, stdout, stderr) = CliProcess.Run("video", _video, "--classes", Classes, "--jsonl", jsonl, "--stride", "3", "--max-frames", "20", "--json");
        Assert.True(code == 0, stderr);
        var frames = File.ReadLines(jsonl).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            return doc.RootElement.GetProperty("frame").GetInt32();
        });
        Assert.Equal([0, 3, 6, 9, 12, 15, 18], frames);
        using var stats = JsonDocument.Parse(stdout);
        Assert.Equal(20, stats.RootElement.GetProperty("framesRead").GetInt32());
        Assert.Equal(7, stats.RootElement.GetProperty("framesProcessed").GetInt32());
        Assert.Equal(13, stats.RootElement.GetProperty("framesStrided").GetInt32());
    }

    [Fact]
    public void A_missing_source_fails_with_its_name()
    {
        var (code, _, stderr) = CliProcess.Run("video", "/no/such/video.mp4", "--classes", Classes);
        Assert.Equal(1, code);
        Assert.Contains("/no/such/video.mp4", stderr, StringComparison.Ordinal);
        Assert.Contains("does not exist", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--save", "no/such/folder/out.mp4", "does not exist")]
    [InlineData("--save", "out.gif", "extension")]
    [InlineData("--jsonl", "no/such/folder/out.jsonl", "Cannot write JSON Lines file")]
    public void An_output_that_cannot_open_fails_before_any_frame_is_read(string option, string relativePath, string reason)
    {
        var (code, stdout, stderr) = CliProcess.Run("video", _video, "--classes", Classes, option, _dir.File(relativePath), "--json");
        Assert.Equal(1, code);
        Assert.Contains(reason, stderr, StringComparison.Ordinal);
        Assert.Contains(relativePath, stderr, StringComparison.Ordinal);
        // No run started: neither the summary line nor the statistics document was printed.
        Assert.DoesNotContain("frames processed", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout.Trim());
    }

    [Theory]
    [InlineData(",", "--classes: prompt 1 of 2 is blank")]
    [InlineData(" ", "--classes is blank")]
    [InlineData(null, "No classes given")]
    public void Empty_classes_fail_with_a_hint(string? classes, string message)
    {
        string[] args = classes is null ? ["video", _video] : ["video", _video, "--classes", classes];
        var (code, _, stderr) = CliProcess.Run(args);
        Assert.Equal(1, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }
}
