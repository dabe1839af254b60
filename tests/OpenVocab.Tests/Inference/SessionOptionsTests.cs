using OpenVocab.Detection;
using OpenVocab.Inference;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace OpenVocab.Tests.Inference;

public class SessionOptionsTests
{
    private static readonly string Image = Path.Combine(ShapesWorld.Images, ShapesWorld.Dataset.Images[0].FileName);

    private static IReadOnlyList<DetectedObject> DetectWith(InferenceOptions options, ListLogger? logger = null)
    {
        using var detector = Detector.Load(TestPaths.ShapesPack, options, logger);
        return detector.Detect(Image, new DetectionOptions { Confidence = 0.05 }, detector.CreateClassSet(ShapesWorld.AllClasses)).Detections;
    }

    [Fact]
    public void The_optimised_graph_cache_is_written_once_then_read_and_gives_the_same_detections()
    {
        using var dir = new TempDir();
        var cache = dir.File("ort-cache");
        var expected = DetectWith(InferenceOptions.Default);
        Assert.NotEmpty(expected);

        var first = DetectWith(new InferenceOptions { OptimizedModelCache = cache });
        var written = Directory.GetFiles(cache).Select(f => (f, File.GetLastWriteTimeUtc(f))).Order().ToArray();
        // The detector and its text encoder, no temporary files left.
        Assert.Equal(2, written.Length);
        Assert.All(written, w => Assert.EndsWith(".onnx", w.f, StringComparison.Ordinal));

        var second = DetectWith(new InferenceOptions { OptimizedModelCache = cache });
        Assert.Equal(written, Directory.GetFiles(cache).Select(f => (f, File.GetLastWriteTimeUtc(f))).Order().ToArray());
        Assert.Equal(expected, first);
        Assert.Equal(expected, second);
    }

    [Fact]
    public void A_damaged_cached_graph_is_reported_and_rebuilt()
    {
        using var dir = new TempDir();
        var cache = dir.File("ort-cache");
        var expected = DetectWith(new InferenceOptions { OptimizedModelCache = cache });
        var detectorGraph = Directory.GetFiles(cache, "detector.*.onnx").Single();
        File.WriteAllBytes(detectorGraph, [1, 2, 3]);

        var logger = new ListLogger();
        Assert.Equal(expected, DetectWith(new InferenceOptions { OptimizedModelCache = cache }, logger));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains(detectorGraph, StringComparison.Ordinal));
        Assert.True(new FileInfo(detectorGraph).Length > 1000, "the damaged graph was not replaced");
    }

    [Fact]
    public void A_cache_folder_that_cannot_be_created_only_warns()
    {
        using var dir = new TempDir();
        var blocker = dir.File("not-a-folder");
        File.WriteAllText(blocker, "a file where the cache folder should be");
        var logger = new ListLogger();
        Assert.Equal(DetectWith(InferenceOptions.Default), DetectWith(new InferenceOptions { OptimizedModelCache = Path.Combine(blocker, "cache") }, logger));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("could not be saved", StringComparison.Ordinal));
    }

    [Fact]
    public void Threads_without_spinning_give_the_same_detections()
    {
        Assert.Equal(DetectWith(InferenceOptions.Default), DetectWith(new InferenceOptions { AllowSpinning = false, IntraOpThreads = 1 }));
    }
}
