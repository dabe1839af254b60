using System.Diagnostics;
using System.Globalization;
using OpenCvSharp;
using OpenVocab.Detection;
using OpenVocab.Tracking;
using OpenVocab.Video;
using Xunit.Abstractions;

namespace OpenVocab.Tests.Video;

/// <summary>Long runs that must keep managed and native memory flat.</summary>
[Collection(nameof(MemoryMeasurements))]
public class SoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Ten_thousand_frames_through_the_real_detector_keep_managed_and_native_memory_flat()
    {
        const int frames = 10_000, warmUp = 500, sampleEvery = 1000;
        using var detector = Detector.Load(TestPaths.ShapesPack);
        detector.SetClasses(MovingShapes.Classes);
        using var dir = new TempDir();
        // Small frames keep the source cheap; the detector still letterboxes to its 320x320 input. The scene restarts
        // every 200 frames, so tracks keep ending and starting, and the annotated video exercises the native encoder.
        using var source = new SyntheticSource(frames, 160, 120) { Period = 200 };
        using var video = AnnotatedVideoWriter.Create(dir.File("soak.mp4"), source.Width, source.Height, source.Fps);
        using var jsonl = new JsonLinesWriter(Stream.Null);
        var pipeline = new VideoDetector(detector, new VideoDetectorOptions { Tracking = new TrackerOptions(), Sinks = [video, jsonl] });

        var samples = new List<MemorySample>();
        long processed = 0, tracked = 0;
        var clock = Stopwatch.StartNew();
        await foreach (var r in pipeline.RunAsync(source))
        {
            processed++;
            tracked += r.Detections.Count(d => d.TrackId is not null);
            if (processed == warmUp || processed % sampleEvery == 0)
            {
                samples.Add(MemorySample.Take(processed));
            }
        }

        samples.Add(MemorySample.Take(processed));
        var stats = pipeline.Statistics!;
        foreach (var s in samples)
        {
            output.WriteLine(s.ToString());
        }

        var start = samples[0];
        var end = samples[^1];
        var managedGrowth = end.ManagedBytes - start.ManagedBytes;
        var heapGrowth = end.HeapSizeBytes - start.HeapSizeBytes;
        var rssGrowth = end.ResidentBytes - start.ResidentBytes;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{processed} frames in {clock.Elapsed.TotalSeconds:0.0} s ({stats.Fps:0.0} fps, inference {stats.InferenceMs:0.0} ms), {tracked} tracked objects, {pipeline.FramesAllocated} Mats; growth after warm-up: managed {managedGrowth / 1024.0:0.0} KiB, GC heap {heapGrowth / 1024.0:0.0} KiB, RSS {rssGrowth / 1024.0 / 1024:0.0} MiB"));

        Assert.Equal(frames, processed);
        Assert.Equal(frames, video.FramesWritten);
        Assert.True(tracked > frames, $"only {tracked} tracked objects: the detector or tracker is not working");
        Assert.InRange(pipeline.FramesAllocated, 1, 16);
        // Measured after warm-up (docs/video.md): the live managed bytes move between samples by up to 0.45 MiB without
        // a trend, RSS by up to 5 MiB. The bounds leave room for that noise, yet a leak of 220 bytes a frame (managed)
        // or 4.5 KiB a frame (native) over the 9,500 measured frames fails them.
        Assert.True(managedGrowth < 2 * 1024 * 1024, $"managed memory grew by {managedGrowth / 1024} KiB");
        Assert.True(heapGrowth < 4 * 1024 * 1024, $"the GC heap grew by {heapGrowth / 1024} KiB");
        Assert.True(rssGrowth < 40L * 1024 * 1024, $"RSS grew by {rssGrowth / 1024 / 1024} MiB");
    }

    [Fact]
    public async Task The_pipeline_alone_keeps_its_frame_pool_and_heap_bounded_over_ten_thousand_frames()
    {
        // The pipeline alone (the real tracker and JSON Lines sink, a light stand-in for the network) on small frames.
        const int frames = 10_000;
        DetectionResult Detect(Mat image, DetectionOptions options, ClassSet? classes)
        {
            var index = (int)image.At<Vec3b>(0, 0).Item0; // SyntheticSource paints the frame index mod 256
            var truth = MovingShapes.Truth(index, 256);
            return new DetectionResult(image.Width, image.Height,
                [.. truth.Select((t, i) => new DetectedObject(t.Box, 0.9f, i, t.Label))], new StageTimings(0, 0, 0));
        }

        var video = new VideoDetector(Detect, new VideoDetectorOptions { Tracking = new TrackerOptions(), Sinks = [new JsonLinesWriter(Stream.Null)] }, null);
        long processed = 0;
        long before = 0;
        var clock = Stopwatch.StartNew();
        using var source = new SyntheticSource(frames, 64, 48) { Render = false };
        await foreach (var r in video.RunAsync(source))
        {
            processed++;
            if (processed == 1000)
            {
                before = MemorySample.Take(processed).ManagedBytes;
            }
        }

        var after = MemorySample.Take(processed).ManagedBytes;
        output.WriteLine($"{frames} frames in {clock.Elapsed.TotalSeconds:0.0} s, {video.FramesAllocated} Mats allocated, managed {before / 1024} KiB -> {after / 1024} KiB");
        Assert.Equal(frames, processed);
        Assert.InRange(video.FramesAllocated, 1, 16);
        Assert.True(after - before < 1024 * 1024, $"managed memory grew by {(after - before) / 1024} KiB");
    }
}
