using OpenVocab.Detection;
using OpenVocab.Evaluation;
using OpenVocab.Tests.Inference;

namespace OpenVocab.Tests.Detection;

/// <summary>End-to-end detection on the ShapesWorld evaluation set through the public API.</summary>
public class ShapesWorldDetectionTests(DetectorFixture fixture) : IClassFixture<DetectorFixture>
{
    // What models/shapes/README.md reports on this set (PyTorch and this pipeline agree to 1e-12); a retrain that changes
    // the pack updates these deliberately. The tolerance covers float differences between runtimes and CPUs.
    private const double SeenMap50 = 0.928, SeenMap50To95 = 0.808, HeldOutMap50 = 0.849, HeldOutMap50To95 = 0.724;
    private const double Tolerance = 0.01;

    private readonly Detector _detector = fixture.Detector;

    [Fact]
    public void Map_on_seen_and_held_out_compositions_matches_the_pack_readme()
    {
        var report = DetectorEvaluation.Evaluate(_detector, ShapesWorld.Dataset, ShapesWorld.Images);
        Assert.NotNull(report.Seen);
        Assert.NotNull(report.HeldOut);
        Assert.Equal(64, report.Seen.Categories);
        Assert.Equal(8, report.HeldOut.Categories);
        Assert.InRange(report.Seen.MAP50, SeenMap50 - Tolerance, SeenMap50 + Tolerance);
        Assert.InRange(report.Seen.MAP50To95, SeenMap50To95 - Tolerance, SeenMap50To95 + Tolerance);
        Assert.InRange(report.HeldOut.MAP50, HeldOutMap50 - Tolerance, HeldOutMap50 + Tolerance);
        Assert.InRange(report.HeldOut.MAP50To95, HeldOutMap50To95 - Tolerance, HeldOutMap50To95 + Tolerance);
    }

    [Fact]
    public void Classes_in_another_order_give_the_same_boxes()
    {
        var forward = ShapesWorld.AllClasses;
        var backward = forward.Reverse().ToArray();
        var a = _detector.CreateClassSet(forward);
        var b = _detector.CreateClassSet(backward);
        foreach (var image in ShapesWorld.Dataset.Images.Take(12))
        {
            var path = Path.Combine(ShapesWorld.Images, image.FileName);
            AssertSameDetections(_detector.Detect(path, classes: a), _detector.Detect(path, classes: b));
        }
    }

    [Fact]
    public void Padded_and_chunked_class_sets_agree_with_one_pass()
    {
        // The same graph, declared fixed at 8 classes: 5 prompts are padded (by repeating prompts), 20 run in 3 chunks.
        using var pack = ModelPackTests.CopyOfShippedPack();
        ModelPackTests.EditManifest(pack, m => m["detector"]!["maxClasses"] = 8);
        var logger = new ListLogger();
        using var fixedN = Detector.Load(pack.Path, logger: logger);
        Assert.Equal(8, fixedN.MaxClasses);

        foreach (var count in new[] { 5, 20 })
        {
            var labels = ShapesWorld.AllClasses.Take(count).ToArray();
            foreach (var image in ShapesWorld.Dataset.Images.Take(12))
            {
                var path = Path.Combine(ShapesWorld.Images, image.FileName);
                var onePass = _detector.Detect(path, classes: _detector.CreateClassSet(labels));
                var fixedResult = fixedN.Detect(path, classes: fixedN.CreateClassSet(labels));
                AssertSameDetections(onePass, fixedResult);
            }
        }

        Assert.Contains(logger.Entries, e => e.Message.Contains("3 chunks", StringComparison.Ordinal));
    }

    [Fact]
    public void Several_prompts_map_to_one_label()
    {
        var image = Path.Combine(ShapesWorld.Images, ShapesWorld.Dataset.Images[0].FileName);
        var plain = _detector.Detect(image, classes: _detector.CreateClassSet(ShapesWorld.SomeSeenClasses));
        Assert.NotEmpty(plain.Detections);

        // Every seen class also answers to "a photo of a ..."; results keep the label, never the prompt.
        var synonyms = _detector.CreateClassSet([.. ShapesWorld.SomeSeenClasses.Select(c => new ClassPrompt(c.ToUpperInvariant(), [c, $"a photo of a {c}."]))]);
        var merged = _detector.Detect(image, classes: synonyms);
        Assert.All(merged.Detections, d => Assert.Equal(synonyms.Labels[d.ClassIndex], d.Label));
        foreach (var d in plain.Detections)
        {
            Assert.Contains(merged.Detections, m => string.Equals(m.Label, d.Label, StringComparison.OrdinalIgnoreCase) && m.Box.IoU(d.Box) > 0.9f && m.Score >= d.Score - 1e-5f);
        }

        // No two boxes of the same label overlap beyond the NMS threshold.
        foreach (var group in merged.Detections.GroupBy(d => d.Label))
        {
            var boxes = group.ToArray();
            for (var i = 0; i < boxes.Length; i++)
            {
                for (var j = i + 1; j < boxes.Length; j++)
                {
                    Assert.True(boxes[i].Box.IoU(boxes[j].Box) <= 0.7f);
                }
            }
        }
    }

    [Fact]
    public void Class_set_seen_before_costs_no_text_encoder_run()
    {
        var encoder = _detector.TextEncoder!;
        _ = _detector.CreateClassSet("small red circle", "large blue star");
        var runs = encoder.InferenceRuns;
        _ = _detector.CreateClassSet("large blue star", "small red circle");
        Assert.Equal(runs, encoder.InferenceRuns);
    }

    [Fact]
    public void Results_carry_per_stage_timings()
    {
        var image = Path.Combine(ShapesWorld.Images, ShapesWorld.Dataset.Images[0].FileName);
        var result = _detector.Detect(image, classes: _detector.CreateClassSet(ShapesWorld.SomeSeenClasses));
        Assert.True(result.Timings.PreprocessMs > 0);
        Assert.True(result.Timings.InferenceMs > 0);
        Assert.True(result.Timings.PostprocessMs > 0);
    }

    private static void AssertSameDetections(DetectionResult expected, DetectionResult actual)
    {
        static IEnumerable<DetectedObject> Ordered(DetectionResult r) => r.Detections.OrderBy(d => d.Label, StringComparer.Ordinal).ThenByDescending(d => d.Score);
        var e = Ordered(expected).ToArray();
        var a = Ordered(actual).ToArray();
        Assert.Equal(e.Length, a.Length);
        for (var i = 0; i < e.Length; i++)
        {
            Assert.Equal(e[i].Label, a[i].Label);
            Assert.Equal(e[i].Score, a[i].Score, 1e-4f);
            Assert.True(e[i].Box.IoU(a[i].Box) > 0.999f, $"{e[i]} vs {a[i]}");
        }
    }
}
