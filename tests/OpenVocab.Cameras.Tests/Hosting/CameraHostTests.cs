using System.Diagnostics;
using System.Text.Json;
using OpenVocab.Cameras.Analytics;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Events;
using OpenVocab.Cameras.Hosting;
using OpenVocab.Detection;
using OpenVocab.Tests;
using OpenVocab.Tests.Video;
using OpenVocab.Video;
using Xunit.Abstractions;

namespace OpenVocab.Cameras.Tests.Hosting;

/// <summary>One detector over the shipped pack, shared by a test class.</summary>
public sealed class ShapesDetectorFixture : IDisposable
{
    public Detector Detector { get; } = Detector.Load(TestPaths.ShapesPack);

    public void Dispose() => Detector.Dispose();
}

/// <summary>The host end to end on the shipped pack: generated videos, loopback ffmpeg streams, real sinks.</summary>
public class CameraHostTests(ShapesDetectorFixture fixture, ITestOutputHelper output) : IClassFixture<ShapesDetectorFixture>
{
    private static readonly CameraHostOptions FastRestart = new()
    {
        RestartDelay = TimeSpan.FromMilliseconds(200),
        Reconnect = new ReconnectPolicy { InitialDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(1), MaxAttempts = 3 },
        // Generous: on a loaded CI machine a stream's first frame can take seconds, and a stalled reader kills its single-client server.
        Stream = new StreamSourceOptions { OpenTimeout = TimeSpan.FromSeconds(15), StallTimeout = TimeSpan.FromSeconds(10) },
    };

    [Fact]
    public async Task A_circle_crossing_a_line_and_a_zone_gives_the_right_events_from_real_detections()
    {
        using var dir = new TempDir();
        var video = dir.File("walk.avi");
        ShapeVideos.Write(video, frames: 40);
        var camera = new CameraConfig("walk", video)
        {
            Classes = [new ClassConfig("red circle") { Threshold = 0.5 }],
            Anchor = AnchorPoint.Center,
            // The circle's centre runs from x = 40 to 280 at y = 120: the line at x = 160 is crossed once, left to
            // right on screen; seen looking down the line (its points go top to bottom) that is right-to-left: out.
            Lines = [new LineConfig("middle", new PointF(160, 0), new PointF(160, 240))],
            Zones = [new ZoneConfig("right", [new(200, 0), new(320, 0), new(320, 240), new(200, 240)])],
        };
        var events = new List<JsonElement>();
        var jsonl = dir.File("events.jsonl");
        var sink = JsonLinesEventSink.Start(jsonl);
        await using (var host = new CameraHost(fixture.Detector, [sink], FastRestart))
        {
            await host.AddAsync(camera);
            Assert.True(await WaitAsync(() => host.Find("walk")!.State == CameraState.Finished, TimeSpan.FromSeconds(60)), $"{host.Find("walk")}");
            var status = host.Find("walk")!;
            Assert.Equal(40, status.FramesProcessed);
            Assert.Equal(status.Events, (await WaitLinesAsync(sink, jsonl, status.Events)).Length);
        }

        await sink.DisposeAsync();
        foreach (var line in await File.ReadAllLinesAsync(jsonl))
        {
            events.Add(JsonDocument.Parse(line).RootElement.Clone());
        }

        var kinds = events.Select(e => (e.GetProperty("kind").GetString(), e.TryGetProperty("zone", out var z) ? z.GetString() : e.TryGetProperty("line", out var l) ? l.GetString() : null)).ToList();
        output.WriteLine(string.Join(", ", kinds));
        Assert.Equal([("appeared", null), ("cross_out", "middle"), ("enter", "right")], kinds);
        Assert.All(events, e => Assert.Equal("red circle", e.GetProperty("detection").GetProperty("label").GetString()));
        Assert.Single(events.Select(e => e.GetProperty("detection").GetProperty("trackId").GetInt32()).Distinct());
        // The crossing is reported on the first frame whose centre is beyond the 4 px band: x > 164.
        var cross = events[1];
        var frame = cross.GetProperty("frame").GetInt32();
        Assert.True(ShapeVideos.CenterX(frame, 40) > 164 && ShapeVideos.CenterX(frame - 1, 40) <= 164 + 6.2, $"crossed at frame {frame}");
    }

    [Fact]
    public async Task Cameras_are_added_reclassed_and_removed_while_others_run()
    {
        using var dir = new TempDir();
        var video = dir.File("loop.avi");
        ShapeVideos.Write(video, frames: 20);
        await using var host = new CameraHost(fixture.Detector, [], FastRestart);
        var a = new CameraConfig("a", video) { Classes = [new ClassConfig("red circle")], Loop = true, Realtime = true };
        await host.AddAsync(a);
        await host.AddAsync(a with { Name = "b" });
        var duplicate = await Assert.ThrowsAsync<CamerasConfigException>(() => host.AddAsync(a));
        Assert.Contains("camera 'a': name: a camera with this name is already running", duplicate.Message, StringComparison.Ordinal);
        var bad = await Assert.ThrowsAsync<CamerasConfigException>(() => host.AddAsync(a with { Name = "c", Source = "gopher://x" }));
        Assert.Contains("camera 'c': source:", bad.Message, StringComparison.Ordinal);

        Assert.True(await WaitAsync(() => host.Cameras.All(c => c.FramesProcessed >= 5), TimeSpan.FromSeconds(30)));
        var reclassed = await host.SetClassesAsync("a", [new ClassConfig("blue square"), new ClassConfig("green star") { Threshold = 0.9 }]);
        Assert.Equal(["blue square", "green star"], reclassed.Classes);
        Assert.Equal(["red circle"], host.Find("b")!.Classes);
        await Assert.ThrowsAsync<CamerasConfigException>(() => host.SetClassesAsync("a", [new ClassConfig("x") { Threshold = 2 }]));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => host.SetClassesAsync("nobody", [new ClassConfig("x")]));

        Assert.True(await host.RemoveAsync("a"));
        Assert.False(await host.RemoveAsync("a"));
        Assert.Null(host.Find("a"));
        var before = host.Find("b")!.FramesProcessed;
        Assert.True(await WaitAsync(() => host.Find("b")!.FramesProcessed >= before + 5, TimeSpan.FromSeconds(30)), "b stopped when a was removed");
        Assert.Equal(CameraState.Running, host.Find("b")!.State);
    }

    [Fact]
    public async Task A_stream_that_goes_away_and_comes_back_does_not_slow_the_other_cameras()
    {
        if (!LoopbackStreamServer.Available)
        {
            return;
        }

        using var dir = new TempDir();
        var video = dir.File("loop.avi");
        ShapeVideos.Write(video, frames: 20);
        const int fps = 10, streams = 3;
        var ports = Enumerable.Range(0, streams).Select(_ => Loopback.FreePort()).ToArray();
        var servers = ports.Select(p => (LoopbackStreamServer?)LoopbackStreamServer.Start(p, fps)).ToArray();
        try
        {
            var logger = new ListLogger();
            await using var host = new CameraHost(fixture.Detector, [], FastRestart, logger);
            for (var i = 0; i < streams; i++)
            {
                await host.AddAsync(new CameraConfig($"s{i}", $"tcp://127.0.0.1:{ports[i]}") { Classes = [new ClassConfig("red circle")] });
            }

            await host.AddAsync(new CameraConfig("file", video) { Classes = [new ClassConfig("red circle")], Loop = true, Realtime = true });
            Assert.True(await WaitAsync(() => host.Cameras.All(c => c.FramesProcessed >= 5), TimeSpan.FromSeconds(90)), Describe(host));

            var start = host.Cameras.ToDictionary(c => c.Name);
            servers[0]!.Dispose(); // s0's server goes away...
            servers[0] = null;
            await Task.Delay(TimeSpan.FromSeconds(3));
            servers[0] = LoopbackStreamServer.Start(ports[0], fps); // ...and comes back on the same port
            var s0Before = host.Find("s0")!.FramesProcessed;
            Assert.True(await WaitAsync(() => host.Find("s0")!.FramesProcessed >= s0Before + 10, TimeSpan.FromSeconds(90)), $"s0 did not come back: {Describe(host)}");
            var end = host.Cameras.ToDictionary(c => c.Name);
            output.WriteLine(Describe(host));

            Assert.True(end["s0"].Reconnects >= 1);
            var others = new[] { "s1", "s2", "file" };
            var processed = others.ToDictionary(n => n, n => end[n].FramesProcessed - start[n].FramesProcessed);
            foreach (var name in others)
            {
                // While s0 was away and reconnecting, the others kept going without a hiccup of their own...
                Assert.Equal(start[name].Reconnects, end[name].Reconnects); // none during the window (a refused first connect before the servers listened may come before it)
                Assert.True(processed[name] >= 10, $"{name}: only {processed[name]} frames processed while s0 was away");
            }

            // ...and shared the detector fairly: counts, not timings, so a loaded machine slows all alike.
            Assert.True(processed.Values.Min() >= 0.5 * processed.Values.Max(), $"unfair shares while s0 was away: {string.Join(", ", processed)}");
            Assert.Contains(logger.Entries, e => e.Message.Contains("s0", StringComparison.Ordinal) || e.Message.Contains(ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
            var batching = host.Batching;
            output.WriteLine($"batches {batching.Batches}, frames {batching.Frames}, mean batch {batching.Frames / (double)batching.Batches:0.00}, {batching.MsPerFrame:0.0} ms/frame");
        }
        finally
        {
            foreach (var s in servers)
            {
                s?.Dispose();
            }
        }
    }

    private static string Describe(CameraHost host) => string.Join("; ", host.Cameras.Select(c =>
        $"{c.Name} {c.State} read {c.FramesRead} processed {c.FramesProcessed} dropped {c.FramesDropped} reconnects {c.Reconnects} {c.LastError}"));

    private static async Task<string[]> WaitLinesAsync(EventSink sink, string path, long count)
    {
        await sink.FlushAsync(TimeSpan.FromSeconds(10));
        return await File.ReadAllLinesAsync(path);
    }

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }
}
