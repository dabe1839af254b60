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
    public void Graph_declares_a_symbolic_batch(string file)
    {
        using var session = new InferenceSession(Path.Combine(TestPaths.ShapesPack, file));
        foreach (var (name, meta) in session.InputMetadata.Concat(session.OutputMetadata))
        {
            Assert.True(meta.Dimensions[0] < 0, $"{file}: '{name}' has a fixed batch of {meta.Dimensions[0]}");
            Assert.Equal("batch", meta.SymbolicDimensions[0]);
        }

        Assert.Equal("dynamic", session.ModelMetadata.CustomMetadataMap["batch"]);
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

        var batched = RunDetector(session, Concat(images), batch, textPerImage, batch, n, dim);
        // ... and [1,N,D] broadcast against B images, which this detector's batched MatMul also takes.
        var broadcast = RunDetector(session, Concat(images), batch, text, 1, n, dim);
        var anchors = batched.Length / batch / (4 + n);
        for (var b = 0; b < batch; b++)
        {
            var single = RunDetector(session, images[b], 1, text, 1, n, dim);
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
        var batched = RunDetector(session, Concat(images), 2, [.. first, .. second], 2, n, dim);
        var single0 = RunDetector(session, images[0], 1, first, 1, n, dim);
        var single1 = RunDetector(session, images[1], 1, second, 1, n, dim);
        var anchors = single0.Length / (4 + n);
        AssertSameOutput(single0, batched.AsSpan(0, single0.Length), anchors, "image 0, its own prompts");
        AssertSameOutput(single1, batched.AsSpan(single0.Length, single1.Length), anchors, "image 1, its own prompts");
    }

    [Fact]
    public void Closed_detector_batch_equals_one_image_at_a_time()
    {
        var images = LetterboxedEvalImages();
        using var session = OnnxSessionFactory.Create(Path.Combine(TestPaths.ShapesPack, "closed", "detector.onnx"));
        var batched = RunClosed(session, Concat(images), images.Length);
        for (var b = 0; b < images.Length; b++)
        {
            var single = RunClosed(session, images[b], 1);
            AssertSameOutput(single, batched.AsSpan(b * single.Length, single.Length), single.Length / 76, $"image {b} of {images.Length}");
        }
    }

    [Fact]
    public void Text_encoder_batch_equals_one_prompt_at_a_time()
    {
        var tokenizer = ClipTokenizer.FromPack(Pack);
        string[] prompts = [.. ShapesWorld.AllClasses.Take(9), "a photo of a red star.", "star", "a"];
        var ids = new long[prompts.Length * tokenizer.ContextLength];
        tokenizer.TokenizeBatch(prompts, ids);
        using var session = OnnxSessionFactory.Create(Path.Combine(TestPaths.ShapesPack, "text.onnx"));
        var batched = RunEncoder(session, "input_ids", ids, [prompts.Length, tokenizer.ContextLength]);
        var dim = batched.Length / prompts.Length;
        for (var i = 0; i < prompts.Length; i++)
        {
            var single = RunEncoder(session, "input_ids", ids.AsSpan(i * tokenizer.ContextLength, tokenizer.ContextLength).ToArray(), [1, tokenizer.ContextLength]);
            AssertClose(single, batched.AsSpan(i * dim, dim), 2e-6, $"prompt '{prompts[i]}'");
        }
    }

    [Fact]
    public void Vision_encoder_batch_equals_one_image_at_a_time()
    {
        var image = Pack.Manifest.ImageEncoder!;
        var preprocessor = new ClipPreprocessor(image.ImageSize!.Value, image.Mean, image.Std);
        var pixels = new float[EvalImages.Length * preprocessor.TensorLength];
        for (var b = 0; b < EvalImages.Length; b++)
        {
            using var mat = ImageLoader.Read(Path.Combine(ShapesWorld.Images, EvalImages[b]));
            preprocessor.Preprocess(mat, pixels.AsSpan(b * preprocessor.TensorLength, preprocessor.TensorLength));
        }

        using var session = OnnxSessionFactory.Create(Path.Combine(TestPaths.ShapesPack, "vision.onnx"));
        var size = preprocessor.ImageSize;
        var batched = RunEncoder(session, "pixel_values", pixels, [EvalImages.Length, 3, size, size]);
        var dim = batched.Length / EvalImages.Length;
        for (var b = 0; b < EvalImages.Length; b++)
        {
            var one = pixels.AsSpan(b * preprocessor.TensorLength, preprocessor.TensorLength).ToArray();
            var single = RunEncoder(session, "pixel_values", one, [1, 3, size, size]);
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

    private static float[] RunDetector(InferenceSession session, float[] images, int batch, float[] text, int textBatch, int n, int dim)
    {
        using var imagesValue = OrtValue.CreateTensorValueFromMemory(images, [batch, 3, ImageSize, ImageSize]);
        using var textValue = OrtValue.CreateTensorValueFromMemory(text, [textBatch, n, dim]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["images", "txt_feats"], [imagesValue, textValue], ["output0"]);
        var shape = outputs[0].GetTensorTypeAndShape().Shape;
        Assert.Equal([batch, 4 + n], shape[..2]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static float[] RunClosed(InferenceSession session, float[] images, int batch)
    {
        using var imagesValue = OrtValue.CreateTensorValueFromMemory(images, [batch, 3, ImageSize, ImageSize]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["images"], [imagesValue], ["output0"]);
        Assert.Equal([batch, 76, 2100], outputs[0].GetTensorTypeAndShape().Shape);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static float[] RunEncoder<T>(InferenceSession session, string input, T[] data, long[] shape)
        where T : unmanaged
    {
        using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [input], [value], [session.OutputNames[0]]);
        Assert.Equal(shape[0], outputs[0].GetTensorTypeAndShape().Shape[0]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Scores (rows 4..) within 1e-4, boxes (rows 0..3, input pixels) within 1e-3 px; and the item is not trivial.</summary>
    private void AssertSameOutput(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, int anchors, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double box = 0, score = 0;
        var confident = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var diff = Math.Abs((double)expected[i] - actual[i]);
            if (i < 4 * anchors)
            {
                box = Math.Max(box, diff);
            }
            else
            {
                score = Math.Max(score, diff);
                confident += expected[i] > 0.25f ? 1 : 0;
            }
        }

        output.WriteLine($"{what}: largest score difference {score:G3}, box difference {box:G3} px");
        Assert.True(score <= 1e-4, $"{what}: largest score difference {score}");
        Assert.True(box <= 1e-3, $"{what}: largest box difference {box} px");
        Assert.True(confident > 0, $"{what}: no score above 0.25, so the comparison proves little");
    }

    private void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs((double)expected[i] - actual[i]));
        }

        output.WriteLine($"{what}: largest difference {worst:G3}");
        Assert.True(worst <= tolerance, $"{what}: largest difference {worst}");
    }
}
