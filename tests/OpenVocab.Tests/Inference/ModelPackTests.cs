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
        Assert.Contains("float32 [B,N,D]", e.Expected, StringComparison.Ordinal);
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

    [Fact]
    public void Manifest_paths_that_leave_the_pack_folder_are_refused_naming_the_key_the_path_and_the_folder()
    {
        using var root = new TempDir();
        var pack = CopyOfShippedPackInto(root.File("pack"));
        Directory.CreateDirectory(root.File("elsewhere"));
        File.Move(Path.Combine(pack, "detector.onnx"), root.File("elsewhere/detector.onnx"));
        foreach (var outside in new[] { "../elsewhere/detector.onnx", "sub/../../elsewhere/detector.onnx", root.File("elsewhere/detector.onnx") })
        {
            EditManifest(pack, m => m["detector"]!["onnx"] = outside);
            var e = Assert.Throws<ModelLoadException>(() => ModelPack.Load(pack));
            Assert.Contains("detector.onnx names '" + outside + "'", e.Message, StringComparison.Ordinal);
            Assert.Contains("outside the pack folder '" + pack + "'", e.Message, StringComparison.Ordinal);
            Assert.Contains(nameof(ModelPackOptions.AllowExternalPaths), e.Message, StringComparison.Ordinal);
            Assert.Contains("--allow-external-paths", e.Message, StringComparison.Ordinal);
        }

        // Allowed explicitly, the same pack loads and detects.
        var allowed = ModelPack.Load(pack, new ModelPackOptions { AllowExternalPaths = true });
        using var detector = Detector.Load(allowed);
        detector.SetClasses(ShapesWorld.AllClasses);
        Assert.NotEmpty(detector.Detect(Path.Combine(ShapesWorld.Images, ShapesWorld.Dataset.Images[0].FileName)).Detections);
    }

    [Fact]
    public void Symbolic_links_are_followed_before_the_containment_check()
    {
        using var root = new TempDir();
        var pack = CopyOfShippedPackInto(root.File("pack"));
        Directory.CreateDirectory(root.File("elsewhere"));
        File.Move(Path.Combine(pack, "vision.onnx"), root.File("elsewhere/vision.onnx"));

        // A link as the file itself, and a link as a folder part of the path: both lead outside.
        File.CreateSymbolicLink(Path.Combine(pack, "vision-link.onnx"), root.File("elsewhere/vision.onnx"));
        Directory.CreateSymbolicLink(Path.Combine(pack, "shared"), "../elsewhere");
        foreach (var (named, target) in new[] { ("vision-link.onnx", root.File("elsewhere/vision.onnx")), ("shared/vision.onnx", root.File("elsewhere/vision.onnx")) })
        {
            EditManifest(pack, m => m["imageEncoder"]!["onnx"] = named);
            var e = Assert.Throws<ModelLoadException>(() => ModelPack.Load(pack));
            Assert.Contains($"imageEncoder.onnx names '{named}', which resolves to '{target}', outside the pack folder", e.Message, StringComparison.Ordinal);
            Assert.NotNull(ModelPack.Load(pack, new ModelPackOptions { AllowExternalPaths = true }).Manifest.ImageEncoder);
        }

        // A link that stays inside the pack is fine, and so is a pack folder reached through a link.
        File.Move(root.File("elsewhere/vision.onnx"), Path.Combine(pack, "vision.onnx"));
        File.CreateSymbolicLink(Path.Combine(pack, "inside-link.onnx"), "vision.onnx");
        EditManifest(pack, m => m["imageEncoder"]!["onnx"] = "inside-link.onnx");
        Assert.Equal("inside-link.onnx", ModelPack.Load(pack).Manifest.ImageEncoder!.Onnx);
        Directory.CreateSymbolicLink(root.File("pack-link"), pack);
        Assert.Equal(root.File("pack-link"), ModelPack.Load(root.File("pack-link")).Directory);
    }

    [Fact]
    public void A_symlink_loop_is_named_in_plain_words_before_onnx_runtime_sees_it()
    {
        using var pack = CopyOfShippedPack();
        File.CreateSymbolicLink(pack.File("a.onnx"), "b.onnx");
        File.CreateSymbolicLink(pack.File("b.onnx"), "a.onnx");

        // Named by the manifest: refused while the pack loads.
        EditManifest(pack, m => m["detector"]!["onnx"] = "a.onnx");
        var e = Assert.Throws<ModelLoadException>(() => ModelPack.Load(pack.Path));
        Assert.Contains("detector.onnx names 'a.onnx', which is a symlink loop", e.Message, StringComparison.Ordinal);

        // Named directly, as a bare closed-set model or to the session factory: refused before ONNX Runtime opens it.
        foreach (var load in new Action[] { () => Detector.Load(pack.File("a.onnx")), () => OnnxSessionFactory.Create(pack.File("a.onnx")).Dispose() })
        {
            e = Assert.Throws<ModelLoadException>(load);
            Assert.Contains("symlink loop", e.Message, StringComparison.Ordinal);
            Assert.Equal(pack.File("a.onnx"), e.FilePath);
            Assert.DoesNotContain("system error", e.Message, StringComparison.Ordinal);
        }

        // A dangling link names where it points; a folder is called a folder.
        File.CreateSymbolicLink(pack.File("dangling.onnx"), "gone.onnx");
        Assert.Contains($"a link to '{pack.File("gone.onnx")}', which does not exist",
            Assert.Throws<ModelLoadException>(() => OnnxSessionFactory.Create(pack.File("dangling.onnx"))).Message, StringComparison.Ordinal);
        Assert.Contains("is a folder", Assert.Throws<ModelLoadException>(() => OnnxSessionFactory.Create(pack.Path)).Message, StringComparison.Ordinal);
    }

    internal static TempDir CopyOfShippedPack()
    {
        var dir = new TempDir();
        CopyOfShippedPackInto(dir.Path);
        return dir;
    }

    /// <summary>Copies the shipped pack's files into <paramref name="folder"/> (created) and returns it.</summary>
    internal static string CopyOfShippedPackInto(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(TestPaths.ShapesPack))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        return folder;
    }

    internal static void EditManifest(TempDir pack, Action<JsonNode> edit) => EditManifest(pack.Path, edit);

    internal static void EditManifest(string pack, Action<JsonNode> edit)
    {
        var path = Path.Combine(pack, ModelPack.ManifestFileName);
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
    }
}
