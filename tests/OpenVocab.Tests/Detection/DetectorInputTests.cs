using OpenCvSharp;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using OpenVocab.Detection;

namespace OpenVocab.Tests.Detection;

/// <summary>Bad and unusual input through the public detector API: clear errors, or conversions, never crashes.</summary>
public class DetectorInputTests(DetectorFixture fixture) : IClassFixture<DetectorFixture>
{
    private readonly Detector _detector = fixture.Detector;

    [Fact]
    public void Empty_class_list_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => _detector.CreateClassSet());
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("red circle", "  ")]
    [InlineData("red circle", "")]
    public void Blank_prompt_is_rejected(string first, string second)
    {
        var e = Assert.Throws<ArgumentException>(() => _detector.CreateClassSet(first, second));
        Assert.Contains("blank", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_classes_and_prompts_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => _detector.CreateClassSet("red circle", "blue star", "red circle"));
        Assert.Contains("'red circle' is given twice", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => _detector.CreateClassSet(
            [new ClassPrompt("a", ["red circle"]), new ClassPrompt("b", ["red circle", "blue star"])]));
        Assert.Contains("'red circle'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prompt_longer_than_the_context_is_truncated_with_a_warning()
    {
        var longPrompt = string.Join(' ', Enumerable.Repeat("red", 2000));
        var classes = _detector.CreateClassSet(longPrompt, "blue star");
        Assert.Equal(2, classes.Labels.Count);
        Assert.Contains(fixture.Logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void A_thousand_classes_run_in_one_call()
    {
        var labels = Enumerable.Range(0, 1000).Select(i => $"red circle number {i}").ToArray();
        var classes = _detector.CreateClassSet(labels);
        using var image = new Mat(240, 320, MatType.CV_8UC3, new Scalar(90, 90, 90));
        var result = _detector.Detect(image, classes: classes);
        Assert.All(result.Detections, d => Assert.InRange(d.ClassIndex, 0, 999));
    }

    [Fact]
    public void Thresholds_out_of_range_are_rejected_with_their_name()
    {
        Assert.Equal("Confidence", Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions { Confidence = 1.5 }).ParamName);
        Assert.Equal("IoU", Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions { IoU = -0.1 }).ParamName);
        Assert.Equal("MaxDetections", Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions { MaxDetections = 0 }).ParamName);
    }

    [Fact]
    public void Detect_without_classes_explains_what_to_do()
    {
        using var detector = Detector.Load(TestPaths.ShapesPack);
        using var image = new Mat(64, 64, MatType.CV_8UC3, Scalar.All(0));
        var e = Assert.Throws<InvalidOperationException>(() => detector.Detect(image));
        Assert.Contains("SetClasses", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(10000, 10000)]
    [InlineData(7, 3000)]
    public void Extreme_sizes_give_boxes_inside_the_image(int width, int height)
    {
        using var image = new Mat(height, width, MatType.CV_8UC3, new Scalar(30, 160, 220));
        Cv2.Circle(image, new Point(width / 2, height / 2), Math.Max(Math.Min(width, height) / 4, 1), new Scalar(0, 0, 255), -1);
        var result = _detector.Detect(image, new DetectionOptions { Confidence = 0.01 }, _detector.CreateClassSet("red circle", "blue star"));
        Assert.Equal((width, height), (result.Width, result.Height));
        Assert.All(result.Detections, d =>
        {
            Assert.InRange(d.Box.X1, 0, width);
            Assert.InRange(d.Box.X2, d.Box.X1, width);
            Assert.InRange(d.Box.Y1, 0, height);
            Assert.InRange(d.Box.Y2, d.Box.Y1, height);
        });
    }

    [Fact]
    public void Gray_rgba_and_16_bit_images_give_the_same_detections_as_their_bgr_form()
    {
        var path = Directory.GetFiles(TestPaths.Samples, "*.jpg").Order(StringComparer.Ordinal).First();
        using var bgr = Cv2.ImRead(path);
        var classes = _detector.CreateClassSet(ShapesWorld.SomeSeenClasses);
        var reference = _detector.Detect(bgr, classes: classes);
        Assert.NotEmpty(reference.Detections);

        using var bgra = bgr.CvtColor(ColorConversionCodes.BGR2BGRA);
        AssertSame(reference, _detector.Detect(bgra, classes: classes));

        using var deep = new Mat();
        bgr.ConvertTo(deep, MatType.CV_16UC3, 257);
        AssertSame(reference, _detector.Detect(deep, classes: classes));

        using var gray = bgr.CvtColor(ColorConversionCodes.BGR2GRAY);
        var grayResult = _detector.Detect(gray, classes: classes);
        Assert.Equal((bgr.Width, bgr.Height), (grayResult.Width, grayResult.Height));
    }

    [Fact]
    public void Corrupt_image_file_fails_with_the_file_name()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("broken.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
        var e = Assert.Throws<ImageDecodeException>(() => _detector.Detect(dir.File("broken.jpg"), classes: _detector.CreateClassSet("red circle")));
        Assert.Contains("broken.jpg", e.Message, StringComparison.Ordinal);
    }

    private static void AssertSame(DetectionResult expected, DetectionResult actual)
    {
        Assert.Equal(expected.Detections.Count, actual.Detections.Count);
        for (var i = 0; i < expected.Detections.Count; i++)
        {
            Assert.Equal(expected.Detections[i].Label, actual.Detections[i].Label);
            Assert.Equal(expected.Detections[i].Score, actual.Detections[i].Score, 1e-5f);
            Assert.Equal(expected.Detections[i].Box.X1, actual.Detections[i].Box.X1, 1e-3f);
        }
    }
}
