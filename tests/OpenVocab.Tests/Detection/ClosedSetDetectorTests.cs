using OpenVocab.Detection;

namespace OpenVocab.Tests.Detection;

/// <summary>The closed-set export of the same network (classes baked in, names in ultralytics-style metadata).</summary>
public class ClosedSetDetectorTests(DetectorFixture fixture) : IClassFixture<DetectorFixture>
{
    private static readonly string ClosedPack = Path.Combine(TestPaths.ShapesPack, "closed");

    [Fact]
    public void Names_come_from_the_metadata()
    {
        using var closed = Detector.Load(ClosedPack);
        Assert.False(closed.IsOpenVocabulary);
        Assert.Null(closed.TextEncoder);
        Assert.Equal(ShapesWorld.AllClasses.Order(StringComparer.Ordinal), closed.ModelClassNames.Order(StringComparer.Ordinal));

        // A bare .onnx file is a pack of its own.
        using var bare = Detector.Load(Path.Combine(ClosedPack, "detector.onnx"));
        Assert.Equal(closed.ModelClassNames, bare.ModelClassNames);
    }

    [Fact]
    public void Same_detections_as_the_open_vocabulary_detector_given_all_its_names()
    {
        using var closed = Detector.Load(ClosedPack);
        var open = fixture.Detector;
        var openClasses = open.CreateClassSet([.. closed.ModelClassNames]);
        foreach (var image in ShapesWorld.Dataset.Images.Take(10))
        {
            var path = Path.Combine(ShapesWorld.Images, image.FileName);
            var expected = open.Detect(path, classes: openClasses).Detections;
            var actual = closed.Detect(path).Detections;
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Label, actual[i].Label);
                Assert.Equal(expected[i].ClassIndex, actual[i].ClassIndex);
                Assert.Equal(expected[i].Score, actual[i].Score, 1e-4f);
                Assert.True(expected[i].Box.IoU(actual[i].Box) > 0.999f);
            }
        }
    }

    [Fact]
    public void Classes_filter_by_name_and_keep_model_class_ids()
    {
        using var closed = Detector.Load(ClosedPack);
        var wanted = new[] { closed.ModelClassNames[3], closed.ModelClassNames[40] };
        var filtered = closed.CreateClassSet(wanted);
        foreach (var image in ShapesWorld.Dataset.Images.Take(20))
        {
            var path = Path.Combine(ShapesWorld.Images, image.FileName);
            var all = closed.Detect(path).Detections.Where(d => wanted.Contains(d.Label)).ToArray();
            var only = closed.Detect(path, classes: filtered).Detections;
            Assert.Equal(all, only);
            Assert.All(only, d => Assert.Equal(closed.ModelClassNames[d.ClassIndex], d.Label));
        }
    }

    [Fact]
    public void A_class_set_only_works_with_the_kind_of_detector_that_made_it()
    {
        using var closed = Detector.Load(ClosedPack);
        var closedSet = closed.CreateClassSet(closed.ModelClassNames[0]);
        var openSet = fixture.Detector.CreateClassSet(closed.ModelClassNames[0]);
        var image = Path.Combine(ShapesWorld.Images, ShapesWorld.Dataset.Images[0].FileName);
        Assert.Contains("CreateClassSet", Assert.Throws<ArgumentException>(() => fixture.Detector.Detect(image, classes: closedSet)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => closed.Detect(image, classes: openSet));
        Assert.Throws<ArgumentException>(() => closed.SetClasses(openSet));
    }

    [Fact]
    public void Unknown_names_are_rejected_with_what_the_model_knows()
    {
        using var closed = Detector.Load(ClosedPack);
        var e = Assert.Throws<ArgumentException>(() => closed.CreateClassSet("zebra"));
        Assert.Contains("'zebra'", e.Message, StringComparison.Ordinal);
        Assert.Contains(closed.ModelClassNames[0], e.Message, StringComparison.Ordinal);
        Assert.Contains("open-vocabulary", e.Message, StringComparison.Ordinal);
    }
}
