using System.Text.Json;
using OpenCvSharp;
using OpenVocab.Classification;
using OpenVocab.Imaging;
using Xunit.Abstractions;

namespace OpenVocab.Tests.Classification;

/// <summary>CLIP preprocessing and image embeddings against the PyTorch/Pillow references of the shipped pack.</summary>
public sealed class ClipPreprocessorTests
{
    private readonly ITestOutputHelper _output;

    public ClipPreprocessorTests(ITestOutputHelper output) => _output = output;

    private static JsonDocument Reference() => JsonDocument.Parse(File.ReadAllText(Path.Combine(ClassificationData.ReferenceDir, "image_embeds.json")));

    [Fact]
    public void Pixel_values_equal_pillow_and_torchvision()
    {
        using JsonDocument reference = Reference();
        JsonElement root = reference.RootElement;
        int size = root.GetProperty("imageSize").GetInt32();
        float[] mean = [.. root.GetProperty("mean").EnumerateArray().Select(v => v.GetSingle())];
        float[] std = [.. root.GetProperty("std").EnumerateArray().Select(v => v.GetSingle())];
        var preprocessor = new ClipPreprocessor(size, mean, std);
        int checkedImages = 0;
        foreach (JsonElement image in root.GetProperty("images").EnumerateArray())
        {
            if (!image.TryGetProperty("pixelValues", out JsonElement bin))
            {
                continue;
            }

            float[] expected = ReferenceData.ReadFloats(Path.Combine(ClassificationData.ReferenceDir, bin.GetString()!));
            Assert.Equal(preprocessor.TensorLength, expected.Length);

            using Mat mat = ImageLoader.Read(Path.Combine(TestPaths.ShapesPack, image.GetProperty("file").GetString()!));
            Assert.Equal(image.GetProperty("width").GetInt32(), mat.Width);
            var actual = new float[preprocessor.TensorLength];
            preprocessor.Preprocess(mat, actual);
            float maxDiff = 0;
            int differentPixels = 0;
            for (int i = 0; i < actual.Length; i++)
            {
                float diff = Math.Abs(actual[i] - expected[i]);
                maxDiff = Math.Max(maxDiff, diff);
                differentPixels += diff > 1e-6f ? 1 : 0;
            }

            _output.WriteLine($"{bin.GetString()} ({mat.Width}x{mat.Height}): max abs diff {maxDiff:G3}, values differing by more than 1e-6: {differentPixels}");
            // One 8-bit level is 1/255/std ~ 0.015; the resampler must be exact, leaving only float rounding.
            Assert.True(maxDiff < 1e-5f, $"max abs diff {maxDiff} on {bin.GetString()}");
            checkedImages++;
        }

        Assert.Equal(2, checkedImages);
    }

    [Fact]
    public void Image_embeddings_equal_pytorch()
    {
        using JsonDocument reference = Reference();
        ImageEncoder encoder = ClassificationData.Classifier.ImageEncoder;
        float worst = 1;
        foreach (JsonElement image in reference.RootElement.GetProperty("images").EnumerateArray())
        {
            float[] expected = [.. image.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
            using Mat mat = ImageLoader.Read(Path.Combine(TestPaths.ShapesPack, image.GetProperty("file").GetString()!));
            float[] actual = encoder.Encode(mat);
            float cosine = EmbeddingMath.Cosine(actual, expected);
            _output.WriteLine($"{image.GetProperty("file").GetString()} {mat.Width}x{mat.Height}: cosine {cosine:F7}");
            worst = Math.Min(worst, cosine);
        }

        _output.WriteLine($"worst cosine {worst:F7}");
        Assert.True(worst >= 0.9999f, $"worst cosine {worst}");
    }

    [Fact]
    public void Same_size_and_upscaled_images_resample_like_pillow_identity_and_sizes()
    {
        // An image already S x S passes through unchanged (Pillow skips the resize).
        var preprocessor = new ClipPreprocessor(8, [0f, 0f, 0f], [1f, 1f, 1f]);
        using var mat = new Mat(8, 8, MatType.CV_8UC3);
        Cv2.Randu(mat, Scalar.All(0), Scalar.All(256));
        byte[] crop = preprocessor.ResizeAndCrop(mat);
        Assert.True(mat.GetArray(out Vec3b[] pixels));
        Assert.Equal(pixels.SelectMany(p => new[] { p.Item0, p.Item1, p.Item2 }), crop);

        Assert.Equal((64, 213), ClipPreprocessor.ResizedSize(78, 260, 64));
        Assert.Equal((241, 64), ClipPreprocessor.ResizedSize(253, 67, 64));
        Assert.Equal((64, 64), ClipPreprocessor.ResizedSize(10, 10, 64));
    }

    [Fact]
    public void Batched_encoding_equals_one_by_one()
    {
        ImageEncoder encoder = ClassificationData.Classifier.ImageEncoder;
        string[] files = [.. ClassificationData.Labels.Take(5).Select(l => l.Path)];
        float[][] batch = encoder.EncodeFiles(files);
        for (int i = 0; i < files.Length; i++)
        {
            float[] single = encoder.EncodeFiles([files[i]])[0];
            Assert.True(EmbeddingMath.Cosine(batch[i], single) > 0.99999f);
            Assert.Equal(1f, MathF.Sqrt(EmbeddingMath.Dot(single, single)), 4);
        }
    }
}
