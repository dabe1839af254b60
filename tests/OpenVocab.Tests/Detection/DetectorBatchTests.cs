using OpenCvSharp;
using OpenVocab.Detection;
using OpenVocab.Imaging;
using OpenVocab.Inference;
using OpenVocab.Tests.Inference;

namespace OpenVocab.Tests.Detection;

/// <summary>
/// <see cref="Detector.DetectBatch"/> against <see cref="Detector.Detect(Mat, DetectionOptions?, ClassSet?)"/> image
/// by image: on the shipped pack (dynamic batch: one run for the batch) and on a graph that fixes B = 1 (one run per
/// image), for one-pass, chunked and multi-prompt class sets and the closed-set detector.
/// </summary>
public sealed class DetectorBatchTests(DetectorFixture fixture) : IClassFixture<DetectorFixture>, IDisposable
{
    private static readonly DetectionOptions Low = new() { Confidence = 0.05, IoU = 0.5, MaxDetections = 1000 };

    private readonly Detector _detector = fixture.Detector;

    // Eight eval images of different sizes and aspects, one grey copy and one 16-bit copy (converted inside), and one
    // image twice: the batch must not confuse its items.
    private readonly List<Mat> _images = LoadImages();

    [Fact]
    public void Shipped_pack_runs_a_batch_in_one_run_equal_to_one_image_at_a_time()
    {
        Assert.True(_detector.SupportsBatch);
        var set = _detector.CreateClassSet(ShapesWorld.AllClasses);
        AssertBatchEqualsSingles(_detector, set, Low);

        // Several prompts per label: the per-anchor merge runs per batch item.
        var synonyms = _detector.CreateClassSet([.. new[] { "circle", "square", "star" }.Select(shape =>
            new ClassPrompt(shape, [.. ShapesWorld.AllClasses.Where(c => c.EndsWith(" " + shape, StringComparison.Ordinal))]))]);
        AssertBatchEqualsSingles(_detector, synonyms, Low);
    }

    [Fact]
    public void Chunked_class_sets_batch_every_chunk()
    {
        using var pack = ModelPackTests.CopyOfShippedPack();
        ModelPackTests.EditManifest(pack, m => m["detector"]!["maxClasses"] = 32);
        using var fixedN = Detector.Load(pack.Path);
        // 72 prompts: 3 chunks, the last padded by repeating its own prompts.
        AssertBatchEqualsSingles(fixedN, fixedN.CreateClassSet(ShapesWorld.AllClasses), Low);
    }

    [Fact]
    public void Closed_set_detector_batches_too()
    {
        using var closed = Detector.Load(Path.Combine(TestPaths.ShapesPack, "closed"));
        Assert.True(closed.SupportsBatch);
        AssertBatchEqualsSingles(closed, closed.Classes!, Low);
        // A name filter on a closed-set detector.
        AssertBatchEqualsSingles(closed, closed.CreateClassSet("red circle", "blue square", "green star"), Low, minBoxesPerImage: 0);
    }

    [Fact]
    public void Graph_with_a_fixed_batch_of_one_runs_image_by_image()
    {
        using var pack = new TempDir();
        var fixtures = Path.Combine(TestPaths.RepoRoot, "tests", "OpenVocab.Tests", "Fixtures");
        File.Copy(Path.Combine(fixtures, "tiny-world-yolo.onnx"), pack.File("detector.onnx"));
        File.Copy(Path.Combine(TestPaths.ShapesPack, "text.onnx"), pack.File("text.onnx"));
        File.Copy(Path.Combine(TestPaths.ShapesPack, "vocab.bpe.txt"), pack.File("vocab.bpe.txt"));
        File.WriteAllText(pack.File(ModelPack.ManifestFileName), """
            { "format": "openvocab-pack/1", "name": "tiny-world",
              "textEncoder": { "onnx": "text.onnx", "tokenizer": { "bpe": "vocab.bpe.txt" }, "contextLength": 16 },
              "detector": { "onnx": "detector.onnx", "textInput": "txt_feats" } }
            """);
        using var tiny = Detector.Load(pack.Path);
        Assert.False(tiny.SupportsBatch);
        var results = AssertBatchEqualsSingles(tiny, tiny.CreateClassSet("red circle", "blue star", "green square"), Low);
        // One run per image: each result carries its own inference time, not a share of one run.
        Assert.True(results.Select(r => r.Timings.InferenceMs).Distinct().Count() > 1);
    }

    [Fact]
    public void Batch_timings_split_the_run_and_keep_per_image_stages()
    {
        var results = _detector.DetectBatch(_images, Low, _detector.CreateClassSet(ShapesWorld.SomeSeenClasses));
        Assert.Equal(_images.Count, results.Count);
        // One run: every image gets the same share of it; preprocessing and decoding are each image's own.
        Assert.Single(results.Select(r => r.Timings.InferenceMs).Distinct());
        Assert.All(results, r => Assert.True(r.Timings.PreprocessMs > 0 && r.Timings.InferenceMs > 0 && r.Timings.PostprocessMs > 0));
    }

    [Fact]
    public void More_images_than_one_run_takes_are_split_into_runs()
    {
        var many = Enumerable.Range(0, Detector.MaxBatch + 3).Select(i => _images[i % _images.Count]).ToList();
        var set = _detector.CreateClassSet(ShapesWorld.SomeSeenClasses);
        var results = _detector.DetectBatch(many, Low, set);
        Assert.Equal(many.Count, results.Count);
        // Two runs: the first MaxBatch images share one inference time, the last 3 another.
        Assert.Equal(2, results.Select(r => r.Timings.InferenceMs).Distinct().Count());
        for (var i = 0; i < many.Count; i++)
        {
            AssertSameDetections(_detector.Detect(many[i], Low, set), results[i], $"image {i}");
        }
    }

    [Fact]
    public void Batches_from_several_threads_at_once_equal_sequential_ones()
    {
        var set = _detector.CreateClassSet(ShapesWorld.AllClasses);
        var expected = _images.Select(image => _detector.Detect(image, Low, set)).ToArray();
        // Different batch sizes from four threads: rented runners resize their buffers, and no call sees another's.
        Parallel.For(0, 12, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var size = 1 + (i % _images.Count);
            var results = _detector.DetectBatch(_images.Take(size).ToList(), Low, set);
            for (var b = 0; b < size; b++)
            {
                AssertSameDetections(expected[b], results[b], $"thread item {i}, image {b}");
            }
        });
    }

    [Fact]
    public void Bad_batches_name_the_image()
    {
        Assert.Throws<ArgumentNullException>(() => _detector.DetectBatch(null!, classes: _detector.CreateClassSet("red circle")));
        Assert.Empty(_detector.DetectBatch([], classes: _detector.CreateClassSet("red circle")));

        var withNull = Assert.Throws<ArgumentException>(() => _detector.DetectBatch([_images[0], null!], classes: _detector.CreateClassSet("red circle")));
        Assert.Contains("Image 1 of the batch is null", withNull.Message, StringComparison.Ordinal);

        using var empty = new Mat();
        var withEmpty = Assert.Throws<ImageDecodeException>(() => _detector.DetectBatch([_images[0], _images[1], empty], classes: _detector.CreateClassSet("red circle")));
        Assert.Contains("Image 2 of the batch of 3", withEmpty.Message, StringComparison.Ordinal);
        Assert.Contains("empty", withEmpty.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (var image in _images.Distinct())
        {
            image.Dispose();
        }
    }

    /// <summary>Each batch result equals Detect on that image: same boxes and labels, scores within 1e-4; and the
    /// comparison covers more than <paramref name="minBoxesPerImage"/> boxes per image on average.</summary>
    private List<DetectionResult> AssertBatchEqualsSingles(Detector detector, ClassSet set, DetectionOptions options, int minBoxesPerImage = 2)
    {
        var results = detector.DetectBatch(_images, options, set).ToList();
        Assert.Equal(_images.Count, results.Count);
        var boxes = 0;
        for (var i = 0; i < _images.Count; i++)
        {
            AssertSameDetections(detector.Detect(_images[i], options, set), results[i], $"image {i}");
            boxes += results[i].Detections.Count;
        }

        Assert.True(boxes > minBoxesPerImage * _images.Count, $"only {boxes} boxes compared over {_images.Count} images");
        return results;
    }

    private static void AssertSameDetections(DetectionResult expected, DetectionResult actual, string what)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        Assert.True(expected.Detections.Count == actual.Detections.Count, $"{what}: {actual.Detections.Count} boxes in the batch, {expected.Detections.Count} alone");
        for (var i = 0; i < expected.Detections.Count; i++)
        {
            var (e, a) = (expected.Detections[i], actual.Detections[i]);
            Assert.Equal(e.Label, a.Label);
            Assert.True(Math.Abs(e.Score - a.Score) <= 1e-4f, $"{what}: score {a.Score} in the batch, {e.Score} alone");
            Assert.True(Math.Abs(e.Box.X1 - a.Box.X1) <= 1e-2f && Math.Abs(e.Box.Y1 - a.Box.Y1) <= 1e-2f &&
                Math.Abs(e.Box.X2 - a.Box.X2) <= 1e-2f && Math.Abs(e.Box.Y2 - a.Box.Y2) <= 1e-2f, $"{what}: box {a.Box} in the batch, {e.Box} alone");
        }
    }

    private static List<Mat> LoadImages()
    {
        var images = ShapesWorld.Dataset.Images.Take(8).Select(i => ImageLoader.Read(Path.Combine(ShapesWorld.Images, i.FileName))).ToList();
        var gray = new Mat();
        Cv2.CvtColor(images[1], gray, ColorConversionCodes.BGR2GRAY);
        var deep = new Mat();
        images[2].ConvertTo(deep, MatType.CV_16UC3, 257);
        images.Add(gray);
        images.Add(deep);
        images.Add(images[0]);
        return images;
    }
}
