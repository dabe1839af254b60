using System.Text.Json;
using OpenVocab.Classification;
using OpenVocab.Detection;
using OpenVocab.Inference;
using OpenVocab.Text;
using Xunit.Abstractions;

namespace OpenVocab.Tests.Inference;

/// <summary>
/// Hugging Face CLIP ONNX folders loaded as they come. The fixture (tests/OpenVocab.Tests/Fixtures/hf-tiny-clip,
/// written by models/export/check_hf_clip_folder.py --preset tiny) is OpenAI's CLIP architecture with random weights
/// in both layouts people download, with OpenAI's token ids and PyTorch's embeddings in reference.json.
/// </summary>
public class HuggingFaceClipFolderTests(ITestOutputHelper output)
{
    internal static string Fixture => Path.Combine(TestPaths.RepoRoot, "tests", "OpenVocab.Tests", "Fixtures", "hf-tiny-clip");

    [Theory]
    [InlineData("xenova")]
    [InlineData("optimum")]
    public void Both_layouts_give_pytorchs_embeddings_and_openais_ids(string layout)
    {
        var pack = ModelPack.Load(Path.Combine(Fixture, layout));
        Assert.Null(pack.ManifestPath);
        Assert.NotEmpty(pack.Inferred);
        var result = HuggingFaceClipParity.Compare(pack, Fixture);
        output.WriteLine($"{layout}: {string.Join(" | ", pack.Inferred)}");
        output.WriteLine($"{layout}: ids equal for {result.Prompts} prompts; text min cosine {result.TextMinCosine:F9}; image min cosine {result.ImageMinCosine:F9} over {result.Images} images");
        Assert.True(result.TextMinCosine >= 0.9999, $"text cosine {result.TextMinCosine}");
        Assert.True(result.ImageMinCosine >= 0.9999, $"image cosine {result.ImageMinCosine}");
    }

    [Fact]
    public void Xenova_layout_is_inferred_from_its_files()
    {
        var pack = ModelPack.Load(Path.Combine(Fixture, "xenova"));
        var m = pack.Manifest;
        Assert.Equal("onnx/text_model.onnx", m.TextEncoder!.Onnx);
        Assert.Equal("tokenizer.json", m.TextEncoder.Tokenizer.Json);
        Assert.Equal(16, m.TextEncoder.ContextLength);
        Assert.Null(m.TextEncoder.PlaceholderInputs);
        Assert.Equal("onnx/vision_model.onnx", m.ImageEncoder!.Onnx);
        Assert.Equal(32, m.ImageEncoder.ImageSize);
        Assert.Equal(ImageEncoderManifest.CropFloor, m.ImageEncoder.CenterCrop);
        Assert.Equal(HuggingFaceClipOptions.DefaultLogitScale, m.ImageEncoder.LogitScale);
        Assert.Contains(pack.Inferred, line => line.Contains("model_max_length", StringComparison.Ordinal));
        using var images = ImageEncoder.Load(pack);
        Assert.True(images.Preprocessor.FloorCropOffset);
    }

    [Fact]
    public void Optimum_graph_feeds_each_tower_a_placeholder_for_the_other()
    {
        var pack = ModelPack.Load(Path.Combine(Fixture, "optimum"));
        Assert.Equal("model.onnx", pack.Manifest.TextEncoder!.Onnx);
        Assert.Equal([1L, 3, 32, 32], pack.Manifest.TextEncoder.PlaceholderInputs!["pixel_values"]);
        Assert.Equal([1L, 16], pack.Manifest.ImageEncoder!.PlaceholderInputs!["input_ids"]);
        Assert.Equal([1L, 16], pack.Manifest.ImageEncoder.PlaceholderInputs["attention_mask"]);
    }

    [Fact]
    public void Vocab_and_merges_give_the_same_ids_as_tokenizer_json()
    {
        using var dir = new TempDir();
        CopyFolder(Path.Combine(Fixture, "xenova"), dir.Path);
        File.Delete(Path.Combine(dir.Path, "tokenizer.json"));
        var pack = ModelPack.Load(dir.Path);
        Assert.Equal("vocab.json", pack.Manifest.TextEncoder!.Tokenizer.Vocab);
        var result = HuggingFaceClipParity.Compare(pack, Fixture);
        Assert.True(result.TextMinCosine >= 0.9999, $"text cosine {result.TextMinCosine}");
    }

    [Fact]
    public void Quantized_variant_is_chosen_by_the_option()
    {
        var pack = ModelPack.Load(Path.Combine(Fixture, "xenova"), new ModelPackOptions { HuggingFace = new HuggingFaceClipOptions { Variant = "quantized" } });
        Assert.Equal("onnx/text_model_quantized.onnx", pack.Manifest.TextEncoder!.Onnx);
        Assert.Equal("onnx/vision_model_quantized.onnx", pack.Manifest.ImageEncoder!.Onnx);
        var result = HuggingFaceClipParity.Compare(pack, Fixture);
        output.WriteLine($"int8 weights: text min cosine {result.TextMinCosine:F6}, image min cosine {result.ImageMinCosine:F6}");
        // Another graph ran (int8 weights differ from the float ones), and it still computes the same model.
        Assert.True(result.TextMinCosine < 0.999999, "the quantized graph should not give the float graph's embeddings exactly");
        Assert.True(result.TextMinCosine > 0.99 && result.ImageMinCosine > 0.99, $"text {result.TextMinCosine}, image {result.ImageMinCosine}");
    }

    [Fact]
    public void Missing_variant_names_the_files_expected_and_present()
    {
        var e = Assert.Throws<ModelLoadException>(() => ModelPack.Load(Path.Combine(Fixture, "xenova"), new ModelPackOptions { HuggingFace = new HuggingFaceClipOptions { Variant = "fp16" } }));
        Assert.Contains("onnx/text_model_fp16.onnx", e.Message, StringComparison.Ordinal);
        Assert.Contains("onnx/text_model_quantized.onnx", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("preprocessor_config.json", "preprocessor_config.json")]
    [InlineData("merges.txt", "merges.txt")]
    public void Nearly_right_folder_names_the_missing_file(string remove, string named)
    {
        using var dir = new TempDir();
        CopyFolder(Path.Combine(Fixture, "xenova"), dir.Path);
        File.Delete(Path.Combine(dir.Path, "tokenizer.json"));
        File.Delete(Path.Combine(dir.Path, remove));
        var e = Assert.Throws<ModelLoadException>(() => ModelPack.Load(dir.Path));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Graph_without_the_clip_tensors_names_the_missing_tensor()
    {
        using var dir = new TempDir();
        CopyFolder(Path.Combine(Fixture, "xenova"), dir.Path);
        File.Copy(Path.Combine(TestPaths.RepoRoot, "tests", "OpenVocab.Tests", "Fixtures", "tiny-world-yolo.onnx"), Path.Combine(dir.Path, "onnx", "text_model.onnx"), overwrite: true);
        var e = Assert.Throws<ModelLoadException>(() => ModelPack.Load(dir.Path));
        Assert.Contains("'onnx/text_model.onnx' has no input 'input_ids'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'images' float32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Folder_of_another_model_type_is_refused_by_name()
    {
        using var dir = new TempDir();
        CopyFolder(Path.Combine(Fixture, "xenova"), dir.Path);
        File.WriteAllText(Path.Combine(dir.Path, "config.json"), """{"model_type": "siglip"}""");
        var e = Assert.Throws<ModelLoadException>(() => ModelPack.Load(dir.Path));
        Assert.Contains("model_type 'siglip'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_preprocessing_is_refused_with_the_key()
    {
        using var dir = new TempDir();
        CopyFolder(Path.Combine(Fixture, "xenova"), dir.Path);
        var file = Path.Combine(dir.Path, "preprocessor_config.json");
        File.WriteAllText(file, File.ReadAllText(file).Replace("\"resample\": 3", "\"resample\": 2", StringComparison.Ordinal));
        var e = Assert.Throws<ModelLoadException>(() => ModelPack.Load(dir.Path));
        Assert.Contains("resample 2 (bilinear)", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The shipped pack's own graphs rearranged into the transformers.js layout (generated here, so the layout code
    /// runs on the shipped models): same embeddings as the pack, and its text encoder drives the shipped detector.
    /// </summary>
    [Fact]
    public void Shipped_pack_in_hugging_face_layout_classifies_and_drives_the_detector()
    {
        using var dir = new TempDir();
        string hf = Path.Combine(dir.Path, "clip");
        ShippedPackAsHuggingFace.Write(hf);
        var hfPack = ModelPack.Load(hf);
        var shipped = ModelPack.Load(TestPaths.ShapesPack);

        using (var a = TextEncoder.Load(hfPack))
        using (var b = TextEncoder.Load(shipped))
        {
            string[] prompts = ["a photo of a red circle", "small green square", "purple hexagon"];
            var ea = a.Encode(prompts);
            var eb = b.Encode(prompts);
            for (int i = 0; i < prompts.Length; i++)
            {
                Assert.Equal(eb[i].ToArray(), ea[i].ToArray());
            }
        }

        // The samples' resize margins are even, where floored and rounded crop offsets agree.
        string sample = Path.Combine(TestPaths.Samples, "shapes_1.jpg");
        using (var a = ImageEncoder.Load(hfPack))
        using (var b = ImageEncoder.Load(shipped))
        {
            Assert.Equal(b.Encode(ImageLoaderRead(sample)), a.Encode(ImageLoaderRead(sample)));
        }

        // A YOLO-World pack whose text encoder is the Hugging Face folder's files, named in its manifest.
        string packDir = Path.Combine(dir.Path, "world");
        Directory.CreateDirectory(packDir);
        CopyFolder(hf, Path.Combine(packDir, "clip"));
        File.Copy(Path.Combine(TestPaths.ShapesPack, "detector.onnx"), Path.Combine(packDir, "detector.onnx"));
        File.WriteAllText(Path.Combine(packDir, ModelPack.ManifestFileName), """
            {
              "format": "openvocab-pack/1",
              "name": "shapes-with-hf-text",
              "textEncoder": { "onnx": "clip/onnx/text_model.onnx", "tokenizer": { "json": "clip/tokenizer.json" }, "contextLength": 16 },
              "detector": { "onnx": "detector.onnx", "images": "images", "textInput": "txt_feats", "layout": "yolo" }
            }
            """);
        using var withHf = Detector.Load(packDir);
        using var original = Detector.Load(TestPaths.ShapesPack);
        string[] classes = ["green square", "purple hexagon", "orange circle", "red star", "blue circle"];
        withHf.SetClasses(classes);
        original.SetClasses(classes);
        var expected = original.Detect(sample).Detections;
        var actual = withHf.Detect(sample).Detections;
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Label, actual[i].Label);
            Assert.Equal(expected[i].Score, actual[i].Score);
        }
    }

    private static OpenCvSharp.Mat ImageLoaderRead(string path) => OpenVocab.Imaging.ImageLoader.Read(path);

    internal static void CopyFolder(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}

/// <summary>Compares a pack's text and image embeddings with the fixture's reference.json.</summary>
internal static class HuggingFaceClipParity
{
    public sealed record Result(int Prompts, int Images, double TextMinCosine, double ImageMinCosine);

    public static Result Compare(ModelPack pack, string referenceFolder)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(referenceFolder, "reference.json")));
        var reference = document.RootElement;
        string[] prompts = [.. reference.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!)];
        using var text = TextEncoder.Load(pack);
        var ids = reference.GetProperty("ids").EnumerateArray().ToArray();
        for (int i = 0; i < prompts.Length; i++)
        {
            int[] expected = [.. ids[i].EnumerateArray().Select(v => v.GetInt32())];
            Assert.Equal(expected, text.Tokenizer.Tokenize(prompts[i]).Ids.ToArray());
        }

        // The reference includes the empty prompt, which Encode refuses; run the model on the texts as they are.
        float[][] textEmbeds = text.EncodeUncached(prompts);
        var expectedText = reference.GetProperty("textEmbeds").EnumerateArray().ToArray();
        double textMin = prompts.Select((_, i) => ReferenceData.Cosine(Floats(expectedText[i]), textEmbeds[i])).Min();

        using var images = ImageEncoder.Load(pack);
        var files = reference.GetProperty("images").EnumerateArray().ToArray();
        float[][] imageEmbeds = images.EncodeFiles([.. files.Select(f => ImagePath(referenceFolder, f.GetProperty("file").GetString()!))]);
        double imageMin = files.Select((f, i) => ReferenceData.Cosine(Floats(f.GetProperty("embeds")), imageEmbeds[i])).Min();
        return new Result(prompts.Length, files.Length, textMin, imageMin);
    }

    /// <summary>Reference image paths: "samples/..." relative to the repository, others relative to the reference folder.</summary>
    public static string ImagePath(string referenceFolder, string file) =>
        file.StartsWith("samples/", StringComparison.Ordinal) ? Path.Combine(TestPaths.RepoRoot, file) : Path.Combine(referenceFolder, file);

    private static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(v => v.GetSingle())];
}
