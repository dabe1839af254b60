using OpenVocab.Detection;
using OpenVocab.Inference;
using OpenVocab.Tests.Inference;

namespace OpenVocab.Tests.Detection;

/// <summary>
/// The scores-boxes layout (YOLO-World deploy exports: scores [1,A,N], boxes [1,A,4] as corners) against the yolo
/// layout, on one tiny text-conditioned detector exported both ways (Fixtures/make_fixtures.py).
/// </summary>
public class ScoresBoxesLayoutTests
{
    private static readonly string Fixtures = Path.Combine(TestPaths.RepoRoot, "tests", "OpenVocab.Tests", "Fixtures");
    private static readonly string[] Prompts = ["red circle", "blue star", "green square"];

    [Fact]
    public void Both_layouts_give_the_same_detections()
    {
        using var yoloPack = TinyPack("tiny-world-yolo.onnx", """{ "onnx": "detector.onnx", "textInput": "txt_feats" }""");
        using var scoresBoxesPack = TinyPack("tiny-world-scores-boxes.onnx",
            """{ "onnx": "detector.onnx", "textInput": "text_features", "layout": "scores-boxes" }""");
        using var yolo = Detector.Load(yoloPack.Path);
        using var scoresBoxes = Detector.Load(scoresBoxesPack.Path);
        Assert.Null(scoresBoxes.MaxClasses);
        yolo.SetClasses(Prompts);
        scoresBoxes.SetClasses(Prompts);

        var options = new DetectionOptions { Confidence = 0.05, IoU = 0.5 };
        var compared = 0;
        foreach (var sample in Directory.GetFiles(TestPaths.Samples, "*.jpg"))
        {
            var expected = yolo.Detect(sample, options).Detections;
            var actual = scoresBoxes.Detect(sample, options).Detections;
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Label, actual[i].Label);
                Assert.Equal(expected[i].Score, actual[i].Score);
                // Corners go through centre/size and back: at most a float ulp or two, scaled back to the image.
                Assert.Equal(expected[i].Box.X1, actual[i].Box.X1, 1e-3f);
                Assert.Equal(expected[i].Box.Y1, actual[i].Box.Y1, 1e-3f);
                Assert.Equal(expected[i].Box.X2, actual[i].Box.X2, 1e-3f);
                Assert.Equal(expected[i].Box.Y2, actual[i].Box.Y2, 1e-3f);
            }

            compared += expected.Count;
        }

        Assert.True(compared > 10, $"only {compared} detections compared");
    }

    [Fact]
    public void Missing_boxes_output_and_unknown_layout_are_named()
    {
        using var pack = TinyPack("tiny-world-scores-boxes.onnx",
            """{ "onnx": "detector.onnx", "textInput": "text_features", "layout": "scores-boxes", "boxes": "corners" }""");
        var e = Assert.Throws<ModelMismatchException>(() => Detector.Load(pack.Path));
        Assert.Contains("'corners'", e.Message, StringComparison.Ordinal);
        Assert.Contains("[1,A,4]", e.Message, StringComparison.Ordinal);
        Assert.Equal("corners", e.TensorName);

        ModelPackTests.EditManifest(pack, m => m["detector"]!["layout"] = "yolo");
        var load = Assert.Throws<ModelLoadException>(() => Detector.Load(pack.Path));
        Assert.Contains("detector.boxes", load.Message, StringComparison.Ordinal);

        ModelPackTests.EditManifest(pack, m => m["detector"]!["layout"] = "xyxy");
        load = Assert.Throws<ModelLoadException>(() => Detector.Load(pack.Path));
        Assert.Contains("'xyxy'", load.Message, StringComparison.Ordinal);
        Assert.Contains("scores-boxes", load.Message, StringComparison.Ordinal);
    }

    /// <summary>A pack of the fixture detector with ShapesWorld's text encoder (D = 64).</summary>
    private static TempDir TinyPack(string detectorFile, string detectorJson)
    {
        var dir = new TempDir();
        File.Copy(Path.Combine(Fixtures, detectorFile), dir.File("detector.onnx"));
        File.Copy(Path.Combine(TestPaths.ShapesPack, "text.onnx"), dir.File("text.onnx"));
        File.Copy(Path.Combine(TestPaths.ShapesPack, "vocab.bpe.txt"), dir.File("vocab.bpe.txt"));
        File.WriteAllText(dir.File(ModelPack.ManifestFileName), $$"""
            { "format": "openvocab-pack/1", "name": "tiny-world",
              "textEncoder": { "onnx": "text.onnx", "tokenizer": { "bpe": "vocab.bpe.txt" }, "contextLength": 16 },
              "detector": {{detectorJson}} }
            """);
        return dir;
    }
}
