using System.Text;
using System.Text.Json;
using OpenCvSharp;
using OpenVocab.Classification;
using OpenVocab.Detection;
using OpenVocab.Tests.Inference;

namespace OpenVocab.Tests.Detection;

/// <summary>Exemplars, per-class thresholds and attributes through the public API on the shipped pack.</summary>
public class PromptingTests(DetectorFixture fixture) : IClassFixture<DetectorFixture>
{
    private static readonly string[] Colours = ["red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink"];

    private readonly Detector _detector = fixture.Detector;

    private static string Scene(int i) => Path.Combine(ShapesWorld.Images, ShapesWorld.Dataset.Images[i].FileName);

    [Fact]
    public void An_image_only_class_is_the_normalised_mean_of_its_exemplars_image_embeddings()
    {
        var exemplars = ShapesExemplars.Of("red star", 3);
        var set = _detector.CreateClassSet([ClassPrompt.FromExemplars("red star", exemplars)]);
        Assert.Equal(["[3 images of red star]"], set.Prompts);
        Assert.Equal(3, set.ExemplarCount);

        var images = exemplars.Select(e => Cv2.ImRead(Path.Combine(ShapesExemplars.Directory, Path.GetFileName(e.Name)))).ToArray();
        try
        {
            var vectors = _detector.Clip.ImageEncoder.Encode(images);
            var expected = EmbeddingMath.NormalizedMean([.. vectors.Select(v => (ReadOnlyMemory<float>)v)]);
            AssertClose(expected, set.Embeddings!);
            Assert.Equal(1.0, Math.Sqrt(set.Embeddings!.Sum(x => (double)x * x)), 5);
        }
        finally
        {
            foreach (var m in images)
            {
                m.Dispose();
            }
        }
    }

    [Fact]
    public void Text_and_images_weigh_the_same_in_each_prompt_of_a_class()
    {
        var exemplars = ShapesExemplars.Of("blue cross", 5);
        var images = _detector.CreateClassSet([ClassPrompt.FromExemplars("blue cross", exemplars)]).Embeddings!;
        var text = _detector.TextEncoder!.Encode(["blue cross", "a photo of a blue cross."]);
        var set = _detector.CreateClassSet([new ClassPrompt("blue cross", ["blue cross", "a photo of a blue cross."]) { Exemplars = exemplars }]);
        Assert.Equal(["blue cross + 5 images", "a photo of a blue cross. + 5 images"], set.Prompts);
        for (var p = 0; p < 2; p++)
        {
            var expected = EmbeddingMath.NormalizedMean([text[p], images]);
            AssertClose(expected, set.Embeddings!.AsSpan(p * 64, 64).ToArray());
        }
    }

    [Fact]
    public void Exemplars_are_encoded_once_per_content()
    {
        var bytes = File.ReadAllBytes(Path.Combine(ShapesExemplars.Directory, "pink_diamond_4.jpg"));
        // A pixel changed at the end: content no test encoded before, so the first set must run the encoder.
        bytes[^10] ^= 0x10;
        var first = ImageExemplar.FromBytes(bytes, "first upload");
        var encoder = _detector.Clip.ImageEncoder;
        var before = encoder.ImagesEncoded;
        var a = _detector.CreateClassSet([ClassPrompt.FromExemplars("pink diamond", first, first)]);
        Assert.Equal(before + 1, encoder.ImagesEncoded); // the same content twice in one set: one encode

        var again = ImageExemplar.FromBytes(bytes, "same bytes, another name");
        var b = _detector.CreateClassSet([new ClassPrompt("pink diamond") { Exemplars = [again] }, new ClassPrompt("red star")]);
        Assert.Equal(before + 1, encoder.ImagesEncoded);
        Assert.Equal(a.Embeddings!, _detector.CreateClassSet([ClassPrompt.FromExemplars("pink diamond", again)]).Embeddings!);
        Assert.Equal(2, b.Labels.Count);
    }

    [Fact]
    public void Exemplars_fused_with_text_find_held_out_classes_in_a_scene()
    {
        // Held-out pairs the detector never saw: text+exemplar prompts still find them where they are.
        var heldOut = ShapesWorld.Dataset.Categories.Where(c => c.IsHeldOut).Select(c => c.Name).ToArray();
        var set = _detector.CreateClassSet(ShapesExemplars.Classes(heldOut, 5, withText: true));
        var image = ShapesWorld.Dataset.Images.First(i => ShapesWorld.Dataset.Annotations.Count(a => a.ImageId == i.Id && heldOut.Contains(ShapesWorld.Dataset.Categories.First(c => c.Id == a.CategoryId).Name)) >= 2);
        var truth = ShapesWorld.Dataset.Annotations.Where(a => a.ImageId == image.Id).ToArray();
        var result = _detector.Detect(Path.Combine(ShapesWorld.Images, image.FileName), classes: set);
        foreach (var t in truth.Where(t => heldOut.Contains(ShapesWorld.Dataset.Categories.First(c => c.Id == t.CategoryId).Name)))
        {
            var name = ShapesWorld.Dataset.Categories.First(c => c.Id == t.CategoryId).Name;
            Assert.Contains(result.Detections, d => d.Label == name && Iou(d.Box, t.Box.ToBoundingBox()) > 0.5);
        }
    }

    [Fact]
    public void A_per_class_threshold_changes_only_its_class()
    {
        var set = _detector.CreateClassSet(ShapesWorld.AllClasses);
        var global = new DetectionOptions { Confidence = 0.05 };
        var strict = global with { ClassConfidence = new Dictionary<string, double> { ["red star"] = 0.9, ["blue circle"] = 0.6 } };
        var same = global with { ClassConfidence = new Dictionary<string, double> { ["red star"] = 0.05 } };
        var changed = 0;
        for (var i = 0; i < 20; i++)
        {
            var all = _detector.Detect(Scene(i), global, set).Detections;
            var filtered = _detector.Detect(Scene(i), strict, set).Detections;
            Assert.Equal(all, _detector.Detect(Scene(i), same, set).Detections);

            // Applied before NMS, exactly like the global value: the other classes' boxes are untouched.
            Assert.Equal(all.Where(d => d.Label is not "red star" and not "blue circle"), filtered.Where(d => d.Label is not "red star" and not "blue circle"));
            Assert.All(filtered.Where(d => d.Label == "red star"), d => Assert.True(d.Score > 0.9f));
            Assert.All(filtered.Where(d => d.Label == "blue circle"), d => Assert.True(d.Score > 0.6f));
            changed += all.Count - filtered.Count;
        }

        Assert.True(changed > 0, "the strict thresholds removed nothing: the test would not notice if they were ignored");
    }

    [Fact]
    public void A_threshold_for_an_unknown_class_fails_before_anything_runs()
    {
        var set = _detector.CreateClassSet("red star", "blue circle");
        var options = new DetectionOptions { ClassConfidence = new Dictionary<string, double> { ["green star"] = 0.4 } };
        var e = Assert.Throws<ArgumentException>(() => _detector.Detect(Scene(0), options, set));
        Assert.Contains("'green star'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'red star', 'blue circle'", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => _detector.CheckOptions(options, set));

        // The same range as the global confidence: [0, 1], 0 keeping every box of that class that NMS keeps.
        Assert.Equal(0, new DetectionOptions { ClassConfidence = new Dictionary<string, double> { ["red star"] = 0 } }.ClassConfidence!["red star"]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions { ClassConfidence = new Dictionary<string, double> { ["red star"] = -0.1 } });
        Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions { ClassConfidence = new Dictionary<string, double> { ["red star"] = 1.5 } });
        Assert.Throws<ArgumentException>(() => new DetectionOptions { ClassConfidence = new Dictionary<string, double> { [" "] = 0.5 } });
        Assert.Throws<ArgumentException>(() => new DetectionOptions { ClassConfidence = new Dictionary<string, double> { ["a"] = 0.5, [" a "] = 0.6 } });
    }

    [Fact]
    public void Attributes_classify_each_kept_box_of_their_class_as_the_classifier_would_its_crop()
    {
        // Detect the shape whatever its colour (one prompt per colour), then ask the colour of each box.
        var set = _detector.CreateClassSet(new PromptSet(ShapeClasses("circle", "square"))
        {
            Attributes = [new AttributePrompt("circle", [.. Colours.Select(c => $"{c} circle")]) { TopK = 2 }],
        });
        Assert.Single(set.Attributes);
        var labels = _detector.Clip.CreateLabels([.. Colours.Select(c => $"{c} circle")]);
        var checkedBoxes = 0;
        for (var i = 0; i < 30; i++)
        {
            using var image = Cv2.ImRead(Scene(i));
            var result = _detector.Detect(image, classes: set);
            foreach (var d in result.Detections)
            {
                if (d.Label != "circle")
                {
                    Assert.Null(d.Attribute);
                    continue;
                }

                using var crop = new Mat(image, AttributeClassifier.CropRegion(d.Box, image.Width, image.Height));
                var expected = _detector.Clip.Classify(crop, labels, topK: 2);
                Assert.NotNull(d.Attribute);
                Assert.Equal(expected.Top.Label, d.Attribute.Label);
                Assert.Equal(expected.Top.Score, d.Attribute.Score, 5);
                Assert.Equal(expected.Predictions.Select(p => p.Label), d.Attribute.TopK.Select(p => p.Label));
                checkedBoxes++;
            }

            if (result.Detections.Any(d => d.Attribute is not null))
            {
                Assert.True(result.Timings.AttributesMs > 0);
            }
        }

        Assert.True(checkedBoxes >= 5, $"only {checkedBoxes} circles in 30 scenes");
    }

    [Fact]
    public void Attributes_show_in_the_json()
    {
        var set = _detector.CreateClassSet(new PromptSet(ShapeClasses("circle", "square", "star"))
        {
            Attributes = [AttributePrompt.Parse("star: red star, blue star, green star")],
        });
        var image = Enumerable.Range(0, 60).Select(Scene).First(p => _detector.Detect(p, classes: set).Detections.Any(d => d.Label == "star"));
        var result = _detector.Detect(image, classes: set);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            DetectionJson.WriteResult(writer, "scene.jpg", result);
        }

        var root = JsonDocument.Parse(Encoding.UTF8.GetString(stream.ToArray())).RootElement;
        var star = root.GetProperty("detections").EnumerateArray().First(d => d.GetProperty("label").GetString() == "star");
        var attribute = star.GetProperty("attribute");
        Assert.Contains(attribute.GetProperty("label").GetString(), new[] { "red star", "blue star", "green star" });
        Assert.Equal(3, attribute.GetProperty("topK").GetArrayLength());
        Assert.True(root.GetProperty("speedMs").GetProperty("attributes").GetDouble() > 0);
        Assert.All(root.GetProperty("detections").EnumerateArray().Where(d => d.GetProperty("label").GetString() != "star"),
            d => Assert.False(d.TryGetProperty("attribute", out _)));
    }

    [Fact]
    public void Bad_prompt_sets_fail_whole_and_leave_the_classes_as_they_were()
    {
        using var detector = Detector.Load(TestPaths.ShapesPack);
        detector.SetClasses("red star");
        var before = detector.Classes;

        var e = Assert.Throws<ArgumentException>(() => detector.SetClasses(detector.CreateClassSet(new PromptSet([new ClassPrompt("car")])
        {
            Attributes = [AttributePrompt.Parse("truck: red truck, blue truck")],
        })));
        Assert.Contains("'truck'", e.Message, StringComparison.Ordinal);
        Assert.Contains("not in the class list", e.Message, StringComparison.Ordinal);
        Assert.Equal(nameof(PromptSet.Attributes), e.ParamName); // services name the request field from it

        e = Assert.Throws<ArgumentException>(() => detector.CreateClassSet(new PromptSet([new ClassPrompt("car")])
        {
            Attributes = [AttributePrompt.Parse("car: red car, blue car"), AttributePrompt.Parse("car: old car, new car")],
        }));
        Assert.Contains("twice", e.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => AttributePrompt.Parse("car red car, blue car"));
        Assert.Throws<ArgumentException>(() => AttributePrompt.Parse("car: red car"));
        Assert.Throws<ArgumentException>(() => AttributePrompt.Parse(": red car, blue car"));
        Assert.Throws<ArgumentException>(() => AttributePrompt.Parse("car: red car, Red Car"));
        Assert.Same(before, detector.Classes);
    }

    [Fact]
    public void Negatives_compete_in_the_same_pass_and_are_never_returned()
    {
        var positives = ShapeClasses("circle", "square");
        var plain = _detector.CreateClassSet(positives);
        // Near-synonyms as negatives win many of the circles' anchors: those boxes must go, and only circles may go.
        var withNegative = _detector.CreateClassSet(new PromptSet(positives)
        {
            Negatives = [.. Colours.Select(c => new ClassPrompt($"a photo of a {c} circle."))],
        });
        Assert.Equal(8, withNegative.Negatives.Count);
        Assert.Equal(["circle", "square"], withNegative.Labels);
        int before = 0, after = 0;
        for (var i = 0; i < 40; i++)
        {
            var a = _detector.Detect(Scene(i), classes: plain).Detections;
            var b = _detector.Detect(Scene(i), classes: withNegative).Detections;
            Assert.All(b, d => Assert.True(d.ClassIndex < 2 && d.Label is "circle" or "square"));
            before += a.Count(d => d.Label == "circle");
            after += b.Count(d => d.Label == "circle");
        }

        Assert.True(before >= 5, $"only {before} circles in 40 scenes");
        Assert.True(after < before, $"the negatives removed no circle ({before} before and after)");
    }

    [Fact]
    public void A_prompt_cannot_be_both_a_class_and_a_negative()
    {
        var e = Assert.Throws<ArgumentException>(() => _detector.CreateClassSet(new PromptSet([new ClassPrompt("person")]) { Negatives = [new ClassPrompt("Person ")] }));
        Assert.Contains("'Person' is named both as a class and as a negative", e.Message, StringComparison.Ordinal);
        Assert.Equal(nameof(PromptSet.Negatives), e.ParamName);
        e = Assert.Throws<ArgumentException>(() => _detector.CreateClassSet(new PromptSet([new ClassPrompt("person", ["person", "human"])]) { Negatives = [new ClassPrompt("mannequin", ["mannequin", "human"])] }));
        Assert.Contains("'human'", e.Message, StringComparison.Ordinal);
        Assert.Equal(nameof(PromptSet.Negatives), e.ParamName);
        Assert.Equal(nameof(PromptSet.Classes), Assert.Throws<ArgumentException>(() => _detector.CreateClassSet(new PromptSet([new ClassPrompt("a"), new ClassPrompt("a")]))).ParamName);
        using var closed = Detector.Load(Path.Combine(TestPaths.ShapesPack, "closed"));
        Assert.Throws<ArgumentException>(() => closed.CreateClassSet(new PromptSet([new ClassPrompt("red star")]) { Negatives = [new ClassPrompt("red heart")] }));
    }

    [Fact]
    public void A_pack_without_an_image_encoder_refuses_exemplars_and_attributes()
    {
        using var pack = ModelPackTests.CopyOfShippedPack();
        ModelPackTests.EditManifest(pack, m => m.AsObject().Remove("imageEncoder"));
        using var detector = Detector.Load(pack.Path);
        var e = Assert.Throws<ArgumentException>(() => detector.CreateClassSet([ClassPrompt.FromExemplars("red star", ShapesExemplars.Of("red star", 1))]));
        Assert.Contains("no image encoder", e.Message, StringComparison.Ordinal);
        Assert.Contains("'red star' is given by example images", e.Message, StringComparison.Ordinal);
        Assert.Equal(nameof(ClassPrompt.Exemplars), e.ParamName);
        Assert.False(detector.CanUseImagePrompts);

        e = Assert.Throws<ArgumentException>(() => detector.CreateClassSet(new PromptSet([new ClassPrompt("circle")]) { Attributes = [AttributePrompt.Parse("circle: red circle, blue circle")] }));
        Assert.Contains("no image encoder", e.Message, StringComparison.Ordinal);
        Assert.Contains("attributes are asked for class 'circle'", e.Message, StringComparison.Ordinal);
        Assert.Equal(nameof(PromptSet.Attributes), e.ParamName);

        // Text alone still works.
        Assert.NotEmpty(detector.Detect(Scene(0), classes: detector.CreateClassSet(ShapesWorld.AllClasses)).Detections);
    }

    [Fact]
    public void A_closed_set_detector_refuses_exemplars()
    {
        using var closed = Detector.Load(Path.Combine(TestPaths.ShapesPack, "closed"));
        var e = Assert.Throws<ArgumentException>(() => closed.CreateClassSet([new ClassPrompt("red star") { Exemplars = ShapesExemplars.Of("red star", 1) }]));
        Assert.Contains("closed-set", e.Message, StringComparison.Ordinal);
        Assert.False(closed.CanUseImagePrompts);
        Assert.True(_detector.CanUseImagePrompts);
    }

    [Fact]
    public void The_crop_region_is_a_square_around_the_box_clipped_to_the_image()
    {
        Assert.Equal(new Rect(10, 0, 40, 40), AttributeClassifier.CropRegion(new BoundingBox(20, 0, 40, 40), 100, 100));
        Assert.Equal(new Rect(0, 0, 25, 40), AttributeClassifier.CropRegion(new BoundingBox(0, 0, 10, 40), 100, 100));
        Assert.Equal(new Rect(96, 96, 4, 4), AttributeClassifier.CropRegion(new BoundingBox(96, 96, 100, 100), 100, 100));
        Assert.Equal(new Rect(99, 99, 1, 1), AttributeClassifier.CropRegion(new BoundingBox(100, 100, 100, 100), 100, 100));
    }

    /// <summary>One class per shape, found by the prompts of all its colours.</summary>
    internal static ClassPrompt[] ShapeClasses(params string[] shapes) =>
        [.. shapes.Select(s => new ClassPrompt(s, [.. Colours.Select(c => $"{c} {s}")]))];

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 5);
        }
    }

    private static double Iou(BoundingBox a, BoundingBox b)
    {
        var w = Math.Max(0, Math.Min(a.X2, b.X2) - Math.Max(a.X1, b.X1));
        var h = Math.Max(0, Math.Min(a.Y2, b.Y2) - Math.Max(a.Y1, b.Y1));
        var inter = w * h;
        return inter / (((a.X2 - a.X1) * (a.Y2 - a.Y1)) + ((b.X2 - b.X1) * (b.Y2 - b.Y1)) - inter);
    }
}
