using Microsoft.ML.OnnxRuntime;
using OpenVocab.Imaging;
using OpenVocab.Inference;
using OpenVocab.Text;
using Xunit.Abstractions;

namespace OpenVocab.Tests.Inference;

/// <summary>
/// Every graph of the shipped ShapesWorld pack takes a dynamic batch (models/shapes/train/make_batch_dynamic.py):
/// one run over B items must give, item by item, what B runs of one item give. Real eval images and prompts, raw
/// ONNX Runtime sessions, so the graphs themselves are checked, not the library's batching.
/// </summary>
public sealed class PackBatchTests(ITestOutputHelper output)
{
    private const int ImageSize = 320;
    private static readonly ModelPack Pack = ModelPack.Load(TestPaths.ShapesPack);

    // Different sizes and aspect ratios, so the items of a batch differ (a batch of copies would prove little).
    private static readonly string[] EvalImages = ["images/0000.jpg", "images/0165.jpg", "images/0042.jpg", "images/0007.jpg"];

    // All 72 classes (8 of them held-out), so every image has objects scored above 0.25.
    private static readonly string[] Prompts = ShapesWorld.AllClasses;

    [Theory]
    [InlineData("detector.onnx")]
    [InlineData("closed/detector.onnx")]
    [InlineData("text.onnx")]
    [InlineData("vision.onnx")]
    public void Graph_declares_a_symbolic_batch(string file)
    {
        using var session = new InferenceSession(Path.Combine(TestPaths.ShapesPack, file));
        GraphRuns.AssertSymbolicBatch(session, file);
        if (file.EndsWith("detector.onnx", StringComparison.Ordinal))
        {
            Assert.Equal("dynamic", session.ModelMetadata.CustomMetadataMap["batch"]);
        }
    }

    [Fact]
    public void Open_detector_batch_equals_one_image_at_a_time()
    {
        var images = LetterboxedEvalImages();
        var text = PromptEmbeddings(Prompts, out var dim);
        using var session = OnnxSessionFactory.Create(Path.Combine(TestPaths.ShapesPack, "detector.onnx"));
        var batch = images.Length;
        var n = Prompts.Length;

        // txt_feats [B,N,D], one copy of the prompt set per image (the contract every yolo-layout pack follows) ...
        var textPerImage = new float[batch * text.Length];
        for (var b = 0; b < batch; b++)
        {
            text.CopyTo(textPerImage, b * text.Length);
        }

        var batched = GraphRuns.Detector(session, Concat(images), batch, ImageSize, ImageSize, textPerImage, batch, n, dim);
        // ... and [1,N,D] broadcast against B images, which this detector's batched MatMul also takes.
        var broadcast = GraphRuns.Detector(session, Concat(images), batch, ImageSize, ImageSize, text, 1, n, dim);
        var anchors = batched.Length / batch / (4 + n);
        for (var b = 0; b < batch; b++)
        {
            var single = GraphRuns.Detector(session, images[b], 1, ImageSize, ImageSize, text, 1, n, dim);
            AssertSameOutput(single, batched.AsSpan(b * single.Length, single.Length), anchors, $"image {b} of {batch}");
            AssertSameOutput(single, broadcast.AsSpan(b * single.Length, single.Length), anchors, $"image {b} of {batch}, txt_feats broadcast");
        }
    }

    [Fact]
    public void Open_detector_takes_a_different_prompt_set_per_image()
    {
        // Per-image prompt sets of one size N run in one batch: each image is scored against its own rows
        // (here the class list and the same list reversed).
        var images = LetterboxedEvalImages()[..2];
        string[] reversed = [.. Prompts.Reverse()];
        var first = PromptEmbeddings(Prompts, out var dim);
        var second = PromptEmbeddings(reversed, out _);
        using var session = OnnxSessionFactory.Create(Path.Combine(TestPaths.ShapesPack, "detector.onnx"));
        var n = Prompts.Length;
        var batched = GraphRuns.Detector(session, Concat(images), 2, ImageSize, ImageSize, [.. first, .. second], 2, n, dim);
        var single0 = GraphRuns.Detector(session, images[0], 1, ImageSize, ImageSize, first, 1, n, dim);
        var single1 = GraphRuns.Detector(session, images[1], 1, ImageSize, ImageSize, second, 1, n, dim);
        var anchors = single0.Length / (4 + n);
        AssertSameOutput(single0, batched.AsSpan(0, single0.Length), anchors, "image 0, its own prompts");
        AssertSameOutput(single1, batched.AsSpan(single0.Length, single1.Length), anchors, "image 1, its own prompts");
    }

    [Fact]
    public void Closed_detector_batch_equals_one_image_at_a_time()
    {
        var images = LetterboxedEvalImages();
        using var session = OnnxSessionFactory.Create(Path.Combine(TestPaths.ShapesPack, "closed", "detector.onnx"));
        var batched = GraphRuns.Detector(session, Concat(images), images.Length, ImageSize, ImageSize);
        for (var b = 0; b < images.Length; b++)
        {
            var single = GraphRuns.Detector(session, images[b], 1, ImageSize, ImageSize);
            Assert.Equal(76 * 2100, single.Length);
            AssertSameOutput(single, batched.AsSpan(b * single.Length, single.Length), 2100, $"image {b} of {images.Length}");
        }
    }

    [Fact]
    public void Text_encoder_batch_equals_one_prompt_at_a_time()
    {
        var tokenizer = ClipTokenizer.FromPack(Pack);
        string[] prompts = [.. ShapesWorld.AllClasses.Take(9), "a photo of a red star.", "star", "a"];
        var length = tokenizer.ContextLength;
        var ids = new long[prompts.Length * length];
        tokenizer.TokenizeBatch(prompts, ids);
        using var session = OnnxSessionFactory.Create(Path.Combine(TestPaths.ShapesPack, "text.onnx"));
        var batched = GraphRuns.Encoder(session, "input_ids", ids, [prompts.Length, length]);
        var dim = batched.Length / prompts.Length;
        for (var i = 0; i < prompts.Length; i++)
        {
            var single = GraphRuns.Encoder(session, "input_ids", ids.AsSpan(i * length, length).ToArray(), [1, length]);
            AssertClose(single, batched.AsSpan(i * dim, dim), 2e-6, $"prompt '{prompts[i]}'");
        }
    }

    [Fact]
    public void Vision_encoder_batch_equals_one_image_at_a_time()
    {
        var image = Pack.Manifest.ImageEncoder!;
        var preprocessor = new ClipPreprocessor(image.ImageSize!.Value, image.Mean, image.Std);
        var length = preprocessor.TensorLength;
        var pixels = new float[EvalImages.Length * length];
        for (var b = 0; b < EvalImages.Length; b++)
        {
            using var mat = ImageLoader.Read(Path.Combine(ShapesWorld.Images, EvalImages[b]));
            preprocessor.Preprocess(mat, pixels.AsSpan(b * length, length));
        }

        using var session = OnnxSessionFactory.Create(Path.Combine(TestPaths.ShapesPack, "vision.onnx"));
        var size = preprocessor.ImageSize;
        var batched = GraphRuns.Encoder(session, "pixel_values", pixels, [EvalImages.Length, 3, size, size]);
        var dim = batched.Length / EvalImages.Length;
        for (var b = 0; b < EvalImages.Length; b++)
        {
            var single = GraphRuns.Encoder(session, "pixel_values", pixels.AsSpan(b * length, length).ToArray(), [1, 3, size, size]);
            AssertClose(single, batched.AsSpan(b * dim, dim), 2e-6, $"image {b}");
        }
    }

    private static float[][] LetterboxedEvalImages()
    {
        var result = new float[EvalImages.Length][];
        for (var b = 0; b < EvalImages.Length; b++)
        {
            using var mat = ImageLoader.Read(Path.Combine(ShapesWorld.Images, EvalImages[b]));
            var transform = LetterboxTransform.Compute(mat.Width, mat.Height, ImageSize, ImageSize);
            result[b] = new float[3 * ImageSize * ImageSize];
            Letterbox.Apply(mat, transform, result[b]);
        }

        for (var b = 1; b < result.Length; b++)
        {
            Assert.False(result[b].AsSpan().SequenceEqual(result[b - 1]), "two batch items are the same image");
        }

        return result;
    }

    private static float[] PromptEmbeddings(string[] prompts, out int dim)
    {
        using var text = TextEncoder.Load(Pack);
        dim = text.Dimension;
        var embeddings = new float[prompts.Length * dim];
        text.EncodeInto(prompts, embeddings);
        return embeddings;
    }

    private static float[] Concat(float[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>Scores (rows 4..) within 1e-4, boxes (rows 0..3, input pixels) within 1e-3 px; and the item is not trivial.</summary>
    private void AssertSameOutput(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, int anchors, string what)
    {
        var (box, score, confident) = GraphRuns.Compare(expected, actual, anchors);
        output.WriteLine($"{what}: largest score difference {score:G3}, box difference {box:G3} px");
        Assert.True(score <= 1e-4, $"{what}: largest score difference {score}");
        Assert.True(box <= 1e-3, $"{what}: largest box difference {box} px");
        Assert.True(confident > 0, $"{what}: no score above 0.25, so the comparison proves little");
    }

    private void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        var worst = GraphRuns.MaxDiff(expected, actual);
        output.WriteLine($"{what}: largest difference {worst:G3}");
        Assert.True(worst <= tolerance, $"{what}: largest difference {worst}");
    }
}
