using OpenVocab.Cameras.Analytics;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Events;
using OpenVocab.Cameras.Hosting;
using OpenVocab.Detection;
using OpenVocab.Tests;
using Xunit.Abstractions;

namespace OpenVocab.Cameras.Tests.Hosting;

/// <summary>
/// The short, CI-sized version of the many-cameras soak (the 50,000-frame one is the cameras benchmark, see
/// docs/cameras.md): eight looping cameras on one detector with zones, lines and events to JSON Lines.
/// </summary>
[Collection(nameof(MemoryMeasurements))]
public class CameraHostSoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Eight_cameras_with_events_keep_managed_and_native_memory_flat()
    {
        const int cameras = 8, warmUp = 1_000, measured = 2_000;
        using var detector = Detector.Load(TestPaths.ShapesPack);
        using var dir = new TempDir();
        var video = dir.File("walk.avi");
        ShapeVideos.Write(video, frames: 60);
        var jsonl = dir.File("events.jsonl");
        var sink = JsonLinesEventSink.Start(jsonl);
        MemorySample start, end;
        long events;
        await using (var host = new CameraHost(detector, [sink]))
        {
            for (var i = 0; i < cameras; i++)
            {
                // Every loop of the video the circle crosses the line and enters and leaves the zone: events all along.
                await host.AddAsync(new CameraConfig($"cam{i}", video)
                {
                    Classes = [new ClassConfig("red circle") { Threshold = 0.5 }],
                    Loop = true,
                    Anchor = AnchorPoint.Center,
                    Lines = [new LineConfig("middle", new PointF(160, 0), new PointF(160, 240))],
                    Zones = [new ZoneConfig("right", [new(200, 0), new(320, 0), new(320, 240), new(200, 240)])],
                });
            }

            start = await SampleAfter(host, warmUp);
            end = await SampleAfter(host, warmUp + measured);
            events = host.Cameras.Sum(c => c.Events);
            Assert.All(host.Cameras, c => Assert.True(c.FramesProcessed > measured / cameras / 4, $"{c.Name} processed only {c.FramesProcessed} frames: scheduling is not fair"));
        }

        await sink.DisposeAsync();
        output.WriteLine(start.ToString());
        output.WriteLine(end.ToString());
        output.WriteLine($"{events} events");
        Assert.True(events >= cameras * 4, $"only {events} events: the analytics or the sink are not working");
        var delivered = sink.Statistics;
        Assert.Equal(0, delivered.Dropped);
        Assert.Equal(delivered.Delivered, File.ReadLines(jsonl).LongCount());
        Assert.True(delivered.Delivered >= events, $"{delivered.Delivered} lines written for {events} events");
        var managed = end.ManagedBytes - start.ManagedBytes;
        var rss = end.ResidentBytes - start.ResidentBytes;
        // Bounds with room for the noise of a short run, yet far under what a leak of one frame buffer (230 KB) per
        // hundred frames or of each event's snapshot would add over the measured frames.
        Assert.True(managed < 4L * 1024 * 1024, $"managed memory grew by {managed / 1024} KiB");
        Assert.True(rss < 32L * 1024 * 1024, $"RSS grew by {rss / 1024 / 1024} MiB");
    }

    private static async Task<MemorySample> SampleAfter(CameraHost host, long frames)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        long processed;
        while ((processed = host.Cameras.Sum(c => c.FramesProcessed)) < frames)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {processed} of {frames} frames after 5 minutes");
            await Task.Delay(100);
        }

        return MemorySample.Take(processed);
    }
}
