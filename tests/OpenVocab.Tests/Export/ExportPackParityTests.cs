using System.Text.Json;
using OpenVocab.Classification;
using OpenVocab.Detection;
using OpenVocab.Imaging;
using OpenVocab.Inference;
using OpenVocab.Text;
using Xunit.Abstractions;

namespace OpenVocab.Tests.Export;

/// <summary>
/// Runs a test only when <c>OPENVOCAB_EXPORT_DIR</c> names the output folder of models/export/check_random_init.py
/// (packs of 50-600 MB that are not in the repository); otherwise the test is reported as skipped, with this reason.
/// </summary>
public sealed class ExportPackFactAttribute : FactAttribute
{
    /// <summary>The environment variable naming the export folder.</summary>
    public const string Variable = "OPENVOCAB_EXPORT_DIR";

    public ExportPackFactAttribute()
    {
        if (ExportDir is null)
        {
            Skip = $"{Variable} is not set: run models/export/check_random_init.py --out DIR and set {Variable}=DIR to compare the exported packs with PyTorch.";
        }
    }

    public static string? ExportDir => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } dir ? dir : null;
}

/// <summary>
/// The exported real-architecture packs (yolov8s-worldv2 and CLIP ViT-B/32 with seeded random weights) through the
/// whole C# pipeline, against ultralytics' predict and OpenAI CLIP in PyTorch (reference.json in the export folder).
/// </summary>
public class ExportPackParityTests(ITestOutputHelper output)
{
    private static string Dir => ExportPackFactAttribute.ExportDir!;

    private static JsonElement Reference() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "reference.json"))).RootElement;

    [ExportPackFact]
    public void Detector_boxes_scores_and_classes_equal_ultralytics_predict()
    {
        var reference = Reference().GetProperty("detector");
        using var detector = Detector.Load(Path.Combine(Dir, reference.GetProperty("pack").GetString()!));
        Assert.Null(detector.MaxClasses);
        var prompts = reference.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToArray();
        detector.SetClasses(prompts);
        var options = new DetectionOptions { Confidence = reference.GetProperty("conf").GetDouble(), IoU = reference.GetProperty("iou").GetDouble() };

        double boxDiff = 0, scoreDiff = 0;
        int boxes = 0;
        foreach (var image in reference.GetProperty("images").EnumerateArray())
        {
            var expected = image.GetProperty("detections").EnumerateArray().ToArray();
            var actual = detector.Detect(ImageFile(image), options).Detections;
            output.WriteLine($"{Path.GetFileName(image.GetProperty("file").GetString())} {image.GetProperty("width")}x{image.GetProperty("height")}: python {expected.Length} boxes, C# {actual.Count}");
            Assert.Equal(expected.Length, actual.Count);
            for (var i = 0; i < expected.Length; i++)
            {
                var e = expected[i];
                Assert.Equal(e.GetProperty("cls").GetInt32(), actual[i].ClassIndex);
                scoreDiff = Math.Max(scoreDiff, Math.Abs(e.GetProperty("score").GetSingle() - actual[i].Score));
                var box = e.GetProperty("box").EnumerateArray().Select(v => v.GetSingle()).ToArray();
                boxDiff = Math.Max(boxDiff, MaxDiff(box, actual[i].Box));
            }

            boxes += expected.Length;
        }

        output.WriteLine($"{boxes} boxes equal in count, class and order; max |score diff| {scoreDiff:E2}, max |box diff| {boxDiff:E2} px");
        Assert.True(boxes > 0);
        Assert.True(scoreDiff < 1e-4, $"score differs by {scoreDiff}");
        Assert.True(boxDiff < 0.05, $"box differs by {boxDiff} px");
    }

    [ExportPackFact]
    public void Fixed_class_count_export_padded_by_repeats_equals_the_dynamic_one()
    {
        var reference = Reference().GetProperty("detector");
        using var dynamic = Detector.Load(Path.Combine(Dir, reference.GetProperty("pack").GetString()!));
        using var fixedN = Detector.Load(Path.Combine(Dir, reference.GetProperty("fixedPack").GetString()!));
        var prompts = reference.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToArray();
        Assert.NotNull(fixedN.MaxClasses);
        Assert.True(fixedN.MaxClasses > prompts.Length, "the fixed pack should need padding for this test");
        dynamic.SetClasses(prompts);
        fixedN.SetClasses(prompts);
        var options = new DetectionOptions { Confidence = reference.GetProperty("conf").GetDouble(), IoU = reference.GetProperty("iou").GetDouble() };

        double boxDiff = 0, scoreDiff = 0;
        int boxes = 0;
        foreach (var image in reference.GetProperty("images").EnumerateArray())
        {
            var a = dynamic.Detect(ImageFile(image), options).Detections;
            var b = fixedN.Detect(ImageFile(image), options).Detections;
            Assert.Equal(a.Count, b.Count);
            for (var i = 0; i < a.Count; i++)
            {
                Assert.Equal(a[i].ClassIndex, b[i].ClassIndex);
                scoreDiff = Math.Max(scoreDiff, Math.Abs(a[i].Score - b[i].Score));
                boxDiff = Math.Max(boxDiff, MaxDiff([a[i].Box.X1, a[i].Box.Y1, a[i].Box.X2, a[i].Box.Y2], b[i].Box));
            }

            boxes += a.Count;
        }

        output.WriteLine($"N={prompts.Length} padded to {fixedN.MaxClasses} by repeats vs dynamic N: {boxes} boxes equal; max |score diff| {scoreDiff:E2}, max |box diff| {boxDiff:E2} px");
        Assert.True(scoreDiff < 1e-4, $"score differs by {scoreDiff}");
        Assert.True(boxDiff < 0.05, $"box differs by {boxDiff} px");
    }

    [ExportPackFact]
    public void Clip_text_and_image_embeddings_match_pytorch()
    {
        var reference = Reference().GetProperty("clip");
        var pack = ModelPack.Load(Path.Combine(Dir, reference.GetProperty("pack").GetString()!));
        using var text = TextEncoder.Load(pack);
        var prompts = reference.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToArray();
        var embeddings = text.Encode(prompts);
        var expectedText = reference.GetProperty("textEmbeds").EnumerateArray().ToArray();
        var textCosines = prompts.Select((_, i) => Cosine(expectedText[i], embeddings[i].Span)).ToArray();

        using var images = ImageEncoder.Load(pack);
        var files = reference.GetProperty("images").EnumerateArray().ToArray();
        var imageEmbeddings = images.EncodeFiles(files.Select(ImageFile).ToArray());
        var imageCosines = files.Select((f, i) => Cosine(f.GetProperty("embeds"), imageEmbeddings[i])).ToArray();

        output.WriteLine($"text: {prompts.Length} prompts, min cosine {textCosines.Min():F9}; image: {files.Length} images, min cosine {imageCosines.Min():F9}");
        Assert.All(textCosines, c => Assert.True(c >= 0.9999, $"text cosine {c}"));
        Assert.All(imageCosines, c => Assert.True(c >= 0.9999, $"image cosine {c}"));
    }

    [ExportPackFact]
    public void Every_exported_graph_takes_a_dynamic_batch()
    {
        var reference = Reference();
        var detector = reference.GetProperty("detector");
        var prompts = detector.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToArray();
        var files = detector.GetProperty("images").EnumerateArray().Take(3).Select(ImageFile).ToArray();
        var worldPack = ModelPack.Load(Path.Combine(Dir, detector.GetProperty("pack").GetString()!));
        using var text = TextEncoder.Load(worldPack);
        var dim = text.Dimension;

        // The dynamic-N detector with the reference prompts, and the fixed-N one padded by repeating them.
        var fixedPath = Path.Combine(Dir, detector.GetProperty("fixedPack").GetString()!, "detector.onnx");
        foreach (var (path, padded) in new[] { (worldPack.Resolve(worldPack.Manifest.Detector!.Onnx), prompts), (fixedPath, Padded(prompts, 8)) })
        {
            using var session = OnnxSessionFactory.Create(path);
            GraphRuns.AssertSymbolicBatch(session, path);
            var (height, width) = ((int)session.InputMetadata["images"].Dimensions[2], (int)session.InputMetadata["images"].Dimensions[3]);
            var n = padded.Length;
            var embeddings = new float[n * dim];
            text.EncodeInto(padded, embeddings);
            var images = files.Select(f => Letterboxed(f, width, height)).ToArray();
            var all = images.SelectMany(i => i).ToArray();
            var perImage = Enumerable.Repeat(embeddings, files.Length).SelectMany(e => e).ToArray();
            var batched = GraphRuns.Detector(session, all, files.Length, height, width, perImage, files.Length, n, dim);
            var shared = GraphRuns.Detector(session, all, files.Length, height, width, embeddings, 1, n, dim);
            for (var b = 0; b < files.Length; b++)
            {
                var single = GraphRuns.Detector(session, images[b], 1, height, width, embeddings, 1, n, dim);
                var anchors = single.Length / (4 + n);
                foreach (var (name, run) in new[] { ("txt_feats [B,N,D]", batched), ("txt_feats [1,N,D]", shared) })
                {
                    var (box, score, confident) = GraphRuns.Compare(single, run.AsSpan(b * single.Length, single.Length), anchors);
                    output.WriteLine($"{Path.GetFileName(Path.GetDirectoryName(path))} N={n}, image {b} of {files.Length}, {name}: max |score diff| {score:E2}, max |box diff| {box:E2} px, {confident} scores > 0.25");
                    Assert.True(score <= 1e-4, $"score differs by {score}");
                    Assert.True(box <= 0.01, $"box differs by {box} px");
                    Assert.True(confident > 0, "no score above 0.25: the comparison would prove little");
                }
            }
        }

        // CLIP: the text encoder over the reference prompts, the image encoder over three images.
        var clip = ModelPack.Load(Path.Combine(Dir, reference.GetProperty("clip").GetProperty("pack").GetString()!));
        var tokenizer = ClipTokenizer.FromPack(clip);
        var clipPrompts = reference.GetProperty("clip").GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToArray();
        var length = tokenizer.ContextLength;
        var ids = new long[clipPrompts.Length * length];
        tokenizer.TokenizeBatch(clipPrompts, ids);
        using (var session = OnnxSessionFactory.Create(clip.Resolve(clip.Manifest.TextEncoder!.Onnx)))
        {
            GraphRuns.AssertSymbolicBatch(session, "text.onnx");
            var batched = GraphRuns.Encoder(session, clip.Manifest.TextEncoder.InputIds, ids, [clipPrompts.Length, length]);
            var width = batched.Length / clipPrompts.Length;
            var worst = 0.0;
            for (var i = 0; i < clipPrompts.Length; i++)
            {
                var single = GraphRuns.Encoder(session, clip.Manifest.TextEncoder.InputIds, ids.AsSpan(i * length, length).ToArray(), [1, length]);
                worst = Math.Max(worst, GraphRuns.MaxDiff(single, batched.AsSpan(i * width, width)) / single.Max(Math.Abs));
            }

            output.WriteLine($"CLIP text, {clipPrompts.Length} prompts in one batch vs one at a time: max relative difference {worst:E2}");
            Assert.True(worst <= 1e-5, $"text embeddings differ by {worst} (relative)");
        }

        var imageEncoder = clip.Manifest.ImageEncoder!;
        var preprocessor = new ClipPreprocessor(imageEncoder.ImageSize!.Value, imageEncoder.Mean, imageEncoder.Std);
        var tensor = preprocessor.TensorLength;
        var pixels = new float[files.Length * tensor];
        for (var b = 0; b < files.Length; b++)
        {
            using var mat = ImageLoader.Read(files[b]);
            preprocessor.Preprocess(mat, pixels.AsSpan(b * tensor, tensor));
        }

        using (var session = OnnxSessionFactory.Create(clip.Resolve(imageEncoder.Onnx)))
        {
            GraphRuns.AssertSymbolicBatch(session, "vision.onnx");
            var size = preprocessor.ImageSize;
            var batched = GraphRuns.Encoder(session, imageEncoder.Input, pixels, [files.Length, 3, size, size]);
            var width = batched.Length / files.Length;
            var worst = 0.0;
            for (var b = 0; b < files.Length; b++)
            {
                var single = GraphRuns.Encoder(session, imageEncoder.Input, pixels.AsSpan(b * tensor, tensor).ToArray(), [1, 3, size, size]);
                worst = Math.Max(worst, GraphRuns.MaxDiff(single, batched.AsSpan(b * width, width)) / single.Max(Math.Abs));
            }

            output.WriteLine($"CLIP image, {files.Length} images in one batch vs one at a time: max relative difference {worst:E2}");
            Assert.True(worst <= 1e-5, $"image embeddings differ by {worst} (relative)");
        }
    }

    private static string[] Padded(string[] prompts, int n) => [.. Enumerable.Range(0, n).Select(i => prompts[i % prompts.Length])];

    private static float[] Letterboxed(string file, int width, int height)
    {
        using var mat = ImageLoader.Read(file);
        var pixels = new float[3 * width * height];
        Letterbox.Apply(mat, LetterboxTransform.Compute(mat.Width, mat.Height, width, height), pixels);
        return pixels;
    }

    private static double Cosine(JsonElement expected, ReadOnlySpan<float> actual) =>
        ReferenceData.Cosine([.. expected.EnumerateArray().Select(v => v.GetSingle())], actual);

    private static double MaxDiff(float[] expected, BoundingBox actual) =>
        new[] { expected[0] - actual.X1, expected[1] - actual.Y1, expected[2] - actual.X2, expected[3] - actual.Y2 }.Max(d => Math.Abs(d));

    /// <summary>Reference paths are absolute on the machine that wrote them; fall back to the export folder and samples.</summary>
    private static string ImageFile(JsonElement image)
    {
        var file = image.GetProperty("file").GetString()!;
        if (File.Exists(file))
        {
            return file;
        }

        var name = Path.GetFileName(file);
        var exported = Path.Combine(Dir, "images", name);
        return File.Exists(exported) ? exported : Path.Combine(TestPaths.Samples, name);
    }
}
