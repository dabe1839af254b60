using System.Text.Json;
using OpenVocab.Cameras.Tests.Hosting;
using OpenVocab.Tests;
using OpenVocab.Tests.Cli;

namespace OpenVocab.Cameras.Tests.Cli;

public class CamerasCliTests
{
    [Fact]
    public void Cameras_runs_a_file_until_its_videos_end_printing_status_lines_and_writing_events()
    {
        using var dir = new TempDir();
        ShapeVideos.Write(dir.File("walk.avi"), frames: 30);
        File.WriteAllText(dir.File("cameras.yaml"), """
            jsonl: events.jsonl
            cameras:
              - name: one
                source: walk.avi
                classes: [red circle]
                lines: [{name: middle, points: [[160, 0], [160, 240]]}]
              - name: two
                source: walk.avi
                classes: [red circle]
                events: [appeared]
            """);
        var (code, stdout, stderr) = CliProcess.Run("cameras", dir.File("cameras.yaml"), "--interval", "0.5");
        Assert.True(code == 0, stderr);
        // Redirected output: plain lines, the last ones the final summary.
        Assert.Contains("one finished fps=", stdout, StringComparison.Ordinal);
        Assert.Contains("processed=30 ", stdout, StringComparison.Ordinal);
        Assert.Contains($"sink {dir.File("events.jsonl")}: delivered=3 dropped=0 pending=0", stdout, StringComparison.Ordinal);
        var kinds = File.ReadAllLines(dir.File("events.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => $"{e.GetProperty("camera").GetString()}:{e.GetProperty("kind").GetString()}")
            .Order()
            .ToList();
        Assert.Equal(["one:appeared", "one:cross_out", "two:appeared"], kinds);
    }

    [Fact]
    public void A_bad_cameras_file_fails_with_every_problem_and_exit_code_1()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("cameras.yaml"), """
            cameras:
              - name: one
                source: rtmpx://host/cam
                zones: [{name: z, points: [[0, 0], [10, 10], [10, 0], [0, 10]]}]
            """);
        var (code, _, stderr) = CliProcess.Run("cameras", dir.File("cameras.yaml"));
        Assert.Equal(1, code);
        Assert.Contains("is not valid:", stderr, StringComparison.Ordinal);
        Assert.Contains("camera 'one': source: 'rtmpx://host/cam' uses a URL scheme OpenVocab cannot read", stderr, StringComparison.Ordinal);
        Assert.Contains("camera 'one': zones[0].points: the polygon intersects itself", stderr, StringComparison.Ordinal);
    }
}
