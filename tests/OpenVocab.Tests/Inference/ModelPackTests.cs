using System.Text.Json.Nodes;
using OpenVocab.Detection;
using OpenVocab.Inference;

namespace OpenVocab.Tests.Inference;

public class ModelPackTests
{
    [Fact]
    public void Shipped_pack_loads_with_all_three_models()
    {
        var pack = ModelPack.Load(TestPaths.ShapesPack);
        Assert.NotNull(pack.Manifest.TextEncoder);
        Assert.NotNull(pack.Manifest.ImageEncoder);
        Assert.NotNull(pack.Manifest.Detector);
        Assert.Equal(pack.Directory, ModelPack.Load(Path.Combine(TestPaths.ShapesPack, ModelPack.ManifestFileName)).Directory);
    }

    [Fact]
    public void Missing_folder_and_missing_manifest_are_named()
    {
        var e = Assert.Throws<ModelLoadException>(() => ModelPack.Load("/no/such/pack"));
        Assert.Contains("/no/such/pack", e.Message, StringComparison.Ordinal);

        using var dir = new TempDir();
        e = Assert.Throws<ModelLoadException>(() => ModelPack.Load(dir.Path));
        Assert.Contains("openvocab.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_json_and_wrong_format_are_named()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("openvocab.json"), "{ not json");
        Assert.Contains("not valid JSON", Assert.Throws<ModelLoadException>(() => ModelPack.Load(dir.Path)).Message, StringComparison.Ordinal);

        File.WriteAllText(dir.File("openvocab.json"), """{ "format": "something-else/9", "detector": { "onnx": "d.onnx" } }""");
        var e = Assert.Throws<ModelLoadException>(() => ModelPack.Load(dir.Path));
        Assert.Contains("something-else/9", e.Message, StringComparison.Ordinal);
        Assert.Contains("openvocab-pack/1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_the_manifest_names_but_is_missing_fails_at_load()
    {
        using var pack = CopyOfShippedPack();
        File.Delete(pack.File("detector.onnx"));
        var e = Assert.Throws<ModelLoadException>(() => ModelPack.Load(pack.Path));
        Assert.Contains("detector.onnx", e.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_and_empty_onnx_files_fail_with_the_file_name()
    {
        using var pack = CopyOfShippedPack();
        var bytes = File.ReadAllBytes(pack.File("detector.onnx"));
        File.WriteAllBytes(pack.File("detector.onnx"), bytes.AsSpan(0, bytes.Length / 3).ToArray());
        var e = Assert.Throws<ModelLoadException>(() => Detector.Load(pack.Path));
        Assert.Contains("detector.onnx", e.Message, StringComparison.Ordinal);

        File.WriteAllBytes(pack.File("detector.onnx"), []);
        e = Assert.Throws<ModelLoadException>(() => Detector.Load(pack.Path));
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Graph_that_does_not_match_the_manifest_names_tensor_expected_and_actual()
    {
        using var pack = CopyOfShippedPack();
        EditManifest(pack, m => m["detector"]!["textInput"] = "text_features");
        var e = Assert.Throws<ModelMismatchException>(() => Detector.Load(pack.Path));
        Assert.Contains("text_features", e.Message, StringComparison.Ordinal);
        Assert.Contains("txt_feats", e.Message, StringComparison.Ordinal); // the actual inputs are listed
        Assert.Equal("text_features", e.TensorName);
        Assert.Contains("float32 [1,N,D]", e.Expected, StringComparison.Ordinal);
        Assert.Contains("no such input", e.Actual, StringComparison.Ordinal);

        // The text encoder used as the detector: wrong inputs entirely.
        EditManifest(pack, m =>
        {
            m["detector"]!["textInput"] = "txt_feats";
            m["detector"]!["onnx"] = "text.onnx";
        });
        e = Assert.Throws<ModelMismatchException>(() => Detector.Load(pack.Path));
        Assert.Contains("text.onnx", e.Message, StringComparison.Ordinal);
        Assert.Contains("images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_encoder_and_detector_of_different_widths_fail_at_load()
    {
        using var pack = CopyOfShippedPack();
        File.Copy(Path.Combine(TestPaths.RepoRoot, "tests", "OpenVocab.Tests", "Fixtures", "text-width17.onnx"), pack.File("text-width17.onnx"));
        EditManifest(pack, m => m["textEncoder"]!["onnx"] = "text-width17.onnx");
        var mismatch = Assert.Throws<ModelMismatchException>(() => Detector.Load(pack.Path));
        Assert.Contains("D=17", mismatch.Message, StringComparison.Ordinal);
        Assert.Contains("txt_feats", mismatch.Message, StringComparison.Ordinal);
        Assert.Equal("txt_feats", mismatch.TensorName);
        Assert.Contains("D=17", mismatch.Expected, StringComparison.Ordinal);
        Assert.NotNull(mismatch.Actual);

        // The vision model gives embeddings of another shape than token ids expect: use it where the text encoder should be.
        EditManifest(pack, m => m["textEncoder"]!["onnx"] = "vision.onnx");
        var e = Assert.Throws<ModelMismatchException>(() => Detector.Load(pack.Path));
        Assert.Contains("vision.onnx", e.Message, StringComparison.Ordinal);
        Assert.Contains("input_ids", e.Message, StringComparison.Ordinal);
        // Through TextEncoder.Load the fields survive (they were lost when Load re-wrapped the error to add the file).
        Assert.Equal("input_ids", e.TensorName);
        Assert.Equal("input int64 [B, 16]", e.Expected);
        Assert.Contains("pixel_values", e.Actual, StringComparison.Ordinal);
    }

    internal static TempDir CopyOfShippedPack()
    {
        var dir = new TempDir();
        foreach (var file in Directory.GetFiles(TestPaths.ShapesPack))
        {
            File.Copy(file, dir.File(Path.GetFileName(file)));
        }

        return dir;
    }

    internal static void EditManifest(TempDir pack, Action<JsonNode> edit)
    {
        var path = pack.File(ModelPack.ManifestFileName);
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
    }
}
