using Microsoft.ML.OnnxRuntime;
using OpenVocab.Detection;
using OpenVocab.Imaging;
using OpenVocab.Tests.Inference;

namespace OpenVocab.Tests.Detection;

/// <summary>
/// One-pass semantics when the prompts do not go through in one pass (chunks of a fixed-N graph, several prompts per
/// label): per anchor the best score over all prompts, then one NMS over labels, as ultralytics does with a single
/// pass. Low thresholds so that many anchors score several prompts and many boxes overlap: that is where decoding each
/// pass or prompt on its own and merging afterwards goes wrong.
/// </summary>
public class DetectorRunnerTests(DetectorFixture fixture) : IClassFixture<DetectorFixture>
{
    private static readonly DetectionOptions Dense = new() { Confidence = 0.05, IoU = 0.5, MaxDetections = 1000 };

    private readonly Detector _detector = fixture.Detector;

    [Fact]
    public void Chunked_prompts_never_return_two_boxes_from_one_anchor_and_equal_one_pass()
    {
        // The shipped graph declared fixed at N = 32: its 72 classes run in 3 chunks. Its neck does not look at the text,
        // so chunking is exact for it and the chunked result must equal one pass over all 20 prompts.
        using var pack = ModelPackTests.CopyOfShippedPack();
        ModelPackTests.EditManifest(pack, m => m["detector"]!["maxClasses"] = 32);
        var logger = new ListLogger();
        using var fixedN = Detector.Load(pack.Path, logger: logger);
        var labels = ShapesWorld.AllClasses;
        var chunked = fixedN.CreateClassSet(labels);
        var onePass = _detector.CreateClassSet(labels);
        Assert.Contains(logger.Entries, e => e.Message.Contains("3 chunks", StringComparison.Ordinal) && e.Message.Contains("approximate", StringComparison.Ordinal));

        var boxes = 0;
        foreach (var image in ShapesWorld.Dataset.Images.Take(12))
        {
            var path = Path.Combine(ShapesWorld.Images, image.FileName);
            var expected = _detector.Detect(path, Dense, onePass).Detections;
            var actual = fixedN.Detect(path, Dense, chunked).Detections;

            // One anchor gives one box: two detections with the very same corners come from one anchor.
            var perAnchor = actual.GroupBy(d => d.Box).Where(g => g.Count() > 1).Select(g => string.Join(" / ", g.Select(d => d.Label))).ToArray();
            Assert.True(perAnchor.Length == 0, $"{image.FileName}: one anchor returned under several labels: {string.Join("; ", perAnchor)}");
            AssertEqual(expected, actual, image.FileName);
            boxes += actual.Count;
        }

        Assert.True(boxes > 50, $"only {boxes} boxes compared");
    }

    [Fact]
    public void Synonyms_equal_one_pass_over_all_prompts_with_labels_mapped()
    {
        // One label per shape, its prompts every colour of that shape: many anchors score prompts of several
        // labels, and prompts of one label compete for the same shapes.
        var classes = ByShape("circle", "square", "star", "triangle");
        var set = _detector.CreateClassSet(classes);
        string[] prompts = [.. classes.SelectMany(c => c.Prompts)];
        int[] labelOfPrompt = [.. classes.SelectMany((c, i) => c.Prompts.Select(_ => i))];
        var embeddings = new float[prompts.Length * _detector.TextEncoder!.Dimension];
        _detector.TextEncoder.EncodeInto(prompts, embeddings);
        using var session = new InferenceSession(Path.Combine(TestPaths.ShapesPack, "detector.onnx"));

        // Boxes that one label's prompts hand to each other are where a per-prompt NMS before the per-label NMS
        // loses one: it did on images 0003, 0032 and 0082 at these thresholds.
        var options = Dense with { Confidence = 0.01, IoU = 0.4 };
        var images = ShapesWorld.Dataset.Images.Take(12).Select(i => i.FileName).Concat(["images/0032.jpg", "images/0082.jpg"]);
        var boxes = 0;
        foreach (var image in images)
        {
            using var mat = ImageLoader.Read(Path.Combine(ShapesWorld.Images, image));
            var expected = SinglePassReference(session, mat, embeddings, prompts, labelOfPrompt, set.Labels, options);
            var actual = _detector.Detect(mat, options, set).Detections;
            AssertEqual(expected, actual, image);
            boxes += actual.Count;
        }

        Assert.True(boxes > 50, $"only {boxes} boxes compared");
    }

    [Fact]
    public void Synonyms_in_chunks_equal_one_pass_and_class_filter_applies_to_labels()
    {
        // Both at once: 32 prompts over 4 labels on a graph fixed at N = 10 (4 chunks, a label's prompts spread over
        // two); a filter keeps label 1 only, and a box whose best prompt belongs to another label is dropped.
        using var pack = ModelPackTests.CopyOfShippedPack();
        ModelPackTests.EditManifest(pack, m => m["detector"]!["maxClasses"] = 10);
        using var fixedN = Detector.Load(pack.Path);
        var classes = ByShape("circle", "square", "star", "triangle");
        var filtered = Dense with { ClassFilter = new HashSet<int> { 1 } };
        var kept = 0;
        foreach (var image in ShapesWorld.Dataset.Images.Take(12))
        {
            var path = Path.Combine(ShapesWorld.Images, image.FileName);
            var all = _detector.Detect(path, Dense, _detector.CreateClassSet(classes)).Detections;
            AssertEqual(all, fixedN.Detect(path, Dense, fixedN.CreateClassSet(classes)).Detections, image.FileName);

            var squares = fixedN.Detect(path, filtered, fixedN.CreateClassSet(classes)).Detections;
            Assert.All(squares, d => Assert.Equal("square", d.Label));
            // Per-label NMS never lets one label suppress another, so filtering must give exactly the squares
            // of the unfiltered result.
            AssertEqual([.. all.Where(d => d.ClassIndex == 1)], squares, image.FileName);

            kept += squares.Count;
        }

        Assert.True(kept > 10, $"only {kept} filtered boxes");
    }

    private static ClassPrompt[] ByShape(params string[] shapes) =>
        [.. shapes.Select(shape => new ClassPrompt(shape, [.. ShapesWorld.AllClasses.Where(c => c.EndsWith(" " + shape, StringComparison.Ordinal))]))];

    /// <summary>
    /// The reference: one ONNX run over every prompt, per anchor the best prompt (NMS off: IoU 1 suppresses nothing),
    /// the prompt's label, then one NMS per label in network pixels, then mapping to the image.
    /// </summary>
    private static List<DetectedObject> SinglePassReference(InferenceSession session, OpenCvSharp.Mat image, float[] embeddings,
        string[] prompts, int[] labelOfPrompt, IReadOnlyList<string> labels, DetectionOptions options)
    {
        const int Size = 320;
        var transform = LetterboxTransform.Compute(image.Width, image.Height, Size, Size);
        var input = new float[3 * Size * Size];
        Letterbox.Apply(image, transform, input);
        using var imageValue = OrtValue.CreateTensorValueFromMemory(input, [1, 3, Size, Size]);
        using var textValue = OrtValue.CreateTensorValueFromMemory(embeddings, [1, prompts.Length, embeddings.Length / prompts.Length]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["images", "txt_feats"], [imageValue, textValue], ["output0"]);

        var perAnchor = new List<DetectedObject>();
        new YoloOutputDecoder().Decode(outputs[0].GetTensorDataAsSpan<float>(), prompts.Length, prompts.Length, prompts,
            options with { IoU = 1, MaxDetections = int.MaxValue }, perAnchor);
        var boxes = perAnchor.Select(d => d.Box).ToArray();
        var scores = perAnchor.Select(d => d.Score).ToArray();
        var classes = perAnchor.Select(d => labelOfPrompt[d.ClassIndex]).ToArray();
        var keep = new int[Math.Min(perAnchor.Count, options.MaxDetections)];
        var kept = NonMaxSuppression.Apply(boxes, scores, classes, options.IoU, keep);
        return [.. keep.Take(kept).Select(k => new DetectedObject(transform.MapToSource(boxes[k]), scores[k], classes[k], labels[classes[k]]))];
    }

    private static void AssertEqual(IReadOnlyList<DetectedObject> expected, IReadOnlyList<DetectedObject> actual, string image)
    {
        Assert.True(expected.Count == actual.Count, $"{image}: {actual.Count} boxes where one pass gives {expected.Count}");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }
}
