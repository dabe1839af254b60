using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using OpenVocab.Imaging;
using OpenVocab.Inference;
using OpenVocab.Text;

namespace OpenVocab.Tests.Detection;

/// <summary>
/// The C# pipeline against PyTorch's outputs for the same images and prompts (models/shapes/reference/detector.json,
/// written by the training code): letterbox geometry, raw detector output, and final detections.
/// </summary>
public class DetectorParityTests(DetectorFixture fixture) : IClassFixture<DetectorFixture>
{
    private static readonly string ReferenceDir = Path.Combine(TestPaths.ShapesPack, "reference");
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < LoadCases().Length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Letterbox_and_raw_output_match_pytorch(int index)
    {
        var c = LoadCases()[index];
        using var image = ImageLoader.Read(Path.Combine(TestPaths.ShapesPack, c.Image));
        Assert.Equal((c.Width, c.Height), (image.Width, image.Height));

        var transform = LetterboxTransform.Compute(image.Width, image.Height, 320, 320);
        Assert.Equal(c.Letterbox.Gain, transform.Gain, 1e-9);
        Assert.Equal((c.Letterbox.PadLeft, c.Letterbox.PadTop), (transform.PadLeft, transform.PadTop));
        Assert.Equal((c.Letterbox.UnpadWidth, c.Letterbox.UnpadHeight), (transform.ResizedWidth, transform.ResizedHeight));

        var pack = ModelPack.Load(TestPaths.ShapesPack);
        using var text = TextEncoder.Load(pack);
        var embeddings = new float[c.Prompts.Length * text.Dimension];
        text.EncodeInto(c.Prompts, embeddings);
        var pixels = new float[3 * 320 * 320];
        Letterbox.Apply(image, transform, pixels);

        using var session = OnnxSessionFactory.Create(pack.Resolve(pack.Manifest.Detector!.Onnx));
        using var imagesValue = OrtValue.CreateTensorValueFromMemory(pixels, [1, 3, 320, 320]);
        using var textValue = OrtValue.CreateTensorValueFromMemory(embeddings, [1, c.Prompts.Length, text.Dimension]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["images", "txt_feats"], [imagesValue, textValue], [session.OutputNames[0]]);
        var actual = outputs[0].GetTensorDataAsSpan<float>();
        var expected = ReferenceData.ReadFloats(Path.Combine(ReferenceDir, c.Output));
        Assert.Equal(expected.Length, actual.Length);
        Assert.Equal(c.OutputShape[0] * c.OutputShape[1], actual.Length);

        var anchors = c.OutputShape[1];
        double boxDiff = 0, scoreDiff = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var diff = Math.Abs(expected[i] - actual[i]);
            if (i < 4 * anchors)
            {
                boxDiff = Math.Max(boxDiff, diff);
            }
            else
            {
                scoreDiff = Math.Max(scoreDiff, diff);
            }
        }

        Assert.True(boxDiff < 0.02, $"largest box difference {boxDiff} px");
        Assert.True(scoreDiff < 1e-4, $"largest score difference {scoreDiff}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Final_detections_match_pytorch(int index)
    {
        var c = LoadCases()[index];
        var detector = fixture.Detector;
        var result = detector.Detect(Path.Combine(TestPaths.ShapesPack, c.Image), classes: detector.CreateClassSet(c.Prompts));

        // Detections scoring right at the threshold may fall either side of it in another runtime; compare the rest.
        const float margin = 0.26f;
        foreach (var e in c.Detections.Where(d => d.Score >= margin))
        {
            Assert.Contains(result.Detections, a => a.ClassIndex == e.Class && Math.Abs(a.Score - e.Score) < 1e-4
                && Math.Abs(a.Box.X1 - e.Box[0]) < 0.05 && Math.Abs(a.Box.Y1 - e.Box[1]) < 0.05
                && Math.Abs(a.Box.X2 - e.Box[2]) < 0.05 && Math.Abs(a.Box.Y2 - e.Box[3]) < 0.05);
        }

        Assert.Equal(c.Detections.Count(d => d.Score >= margin), result.Detections.Count(d => d.Score >= margin));
        Assert.All(result.Detections, d => Assert.Equal(c.Prompts[d.ClassIndex], d.Label));
    }

    private static ReferenceCase[] LoadCases()
    {
        using var stream = File.OpenRead(Path.Combine(ReferenceDir, "detector.json"));
        var doc = JsonSerializer.Deserialize<ReferenceDocument>(stream, Json)!;
        return doc.Cases;
    }

    private sealed record ReferenceDocument(ReferenceCase[] Cases);

    private sealed record ReferenceCase(string Image, int Width, int Height, string[] Prompts, ReferenceLetterbox Letterbox,
        string Output, int[] OutputShape, ReferenceDetection[] Detections);

    private sealed record ReferenceLetterbox(double Gain, int PadLeft, int PadTop, int UnpadWidth, int UnpadHeight);

    private sealed record ReferenceDetection(float[] Box, float Score, int Class, string Name);
}
