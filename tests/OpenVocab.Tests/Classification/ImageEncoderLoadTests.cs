using OpenVocab.Classification;
using OpenVocab.Inference;

namespace OpenVocab.Tests.Classification;

/// <summary>The image encoder's graph is checked against the manifest when it loads.</summary>
public sealed class ImageEncoderLoadTests
{
    private static ModelPack PackWith(TempDir dir, string imageEncoderJson)
    {
        foreach (string f in new[] { "text.onnx", "vision.onnx", "vocab.bpe.txt" })
        {
            File.Copy(Path.Combine(TestPaths.ShapesPack, f), dir.File(f));
        }

        File.WriteAllText(dir.File(ModelPack.ManifestFileName),
            "{ \"format\": \"openvocab-pack/1\", \"name\": \"t\", \"imageEncoder\": " + imageEncoderJson + " }");
        return ModelPack.Load(dir.Path);
    }

    [Fact]
    public void A_text_model_as_image_encoder_names_file_tensor_expected_and_actual()
    {
        using var dir = new TempDir();
        ModelPack pack = PackWith(dir, "{ \"onnx\": \"text.onnx\" }");
        var e = Assert.Throws<ModelMismatchException>(() => ImageEncoder.Load(pack));
        Assert.Contains("text.onnx", e.Message, StringComparison.Ordinal);
        Assert.Contains("pixel_values", e.Message, StringComparison.Ordinal);
        Assert.Contains("input_ids", e.Message, StringComparison.Ordinal);
        Assert.Equal("pixel_values", e.TensorName);
        Assert.NotNull(e.Expected);
        Assert.Contains("input_ids", e.Actual, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_size_other_than_the_graphs_is_a_mismatch()
    {
        using var dir = new TempDir();
        ModelPack pack = PackWith(dir, "{ \"onnx\": \"vision.onnx\", \"imageSize\": 224 }");
        var e = Assert.Throws<ModelMismatchException>(() => ImageEncoder.Load(pack));
        Assert.Contains("vision.onnx", e.Message, StringComparison.Ordinal);
        Assert.Contains("224", e.Message, StringComparison.Ordinal);
        Assert.Contains("64", e.Message, StringComparison.Ordinal);
        Assert.Equal("pixel_values", e.TensorName);
        Assert.Contains("224", e.Expected, StringComparison.Ordinal);
        Assert.Contains("64", e.Actual, StringComparison.Ordinal);

        using var ok = new TempDir();
        using ImageEncoder encoder = ImageEncoder.Load(PackWith(ok, "{ \"onnx\": \"vision.onnx\" }"));
        Assert.Equal(64, encoder.ImageSize); // read from the graph when the manifest leaves it out
        Assert.Equal(64, encoder.Dimension);
    }

    [Fact]
    public void A_pack_without_image_encoder_is_a_load_error()
    {
        var e = Assert.Throws<ModelLoadException>(() => ZeroShotClassifier.Load(Path.Combine(TestPaths.RepoRoot, "tests", "OpenVocab.Tests", "Fixtures", "text-width17.onnx")));
        Assert.Contains("image encoder", e.Message, StringComparison.Ordinal);
    }
}
