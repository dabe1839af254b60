using BenchmarkDotNet.Attributes;
using OpenCvSharp;
using OpenVocab.Detection;

namespace OpenVocab.Benchmarks;

/// <summary>
/// <see cref="Detector.DetectBatch"/> on the shipped pack, 16 classes, 1280x720 images: batches of 1, 4 and 8, each
/// reported per image (<c>OperationsPerInvoke</c> is the batch size), against <c>Detect</c> one image at a time. On a
/// pack whose graph fixes the batch at 1 the batch runs image by image.
/// </summary>
[MemoryDiagnoser]
public class DetectBatchBenchmarks
{
    private Detector _detector = null!;
    private List<Mat> _images = [];

    [Params(1, 4, 8)]
    public int Batch { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        _detector = Detector.Load(TestPaths.ShapesPack);
        _detector.SetClasses(
            "red circle", "red square", "blue circle", "blue star", "green triangle", "yellow square", "purple circle", "orange star",
            "red triangle", "blue square", "green circle", "yellow star", "purple square", "orange circle", "pink circle", "cyan square");
        // Different images in one batch, as from several cameras.
        var samples = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "samples"), "*.jpg").Order(StringComparer.Ordinal).ToArray();
        _images = [.. Enumerable.Range(0, Batch).Select(i =>
        {
            using var sample = Cv2.ImRead(samples[i % samples.Length]);
            return sample.Resize(new OpenCvSharp.Size(1280, 720));
        })];
        Console.WriteLine($"// batch {Batch}: one run per batch: {_detector.SupportsBatch}");
    }

    /// <summary>Per image: the batch in one call.</summary>
    [Benchmark(OperationsPerInvoke = 8)]
    public int DetectBatchPerImage()
    {
        var n = 0;
        // 8 images per invocation whatever the batch size, so every row is time per image.
        for (var i = 0; i < 8 / Batch; i++)
        {
            foreach (var r in _detector.DetectBatch(_images))
            {
                n += r.Detections.Count;
            }
        }

        return n;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _detector.Dispose();
        foreach (var image in _images)
        {
            image.Dispose();
        }
    }
}
