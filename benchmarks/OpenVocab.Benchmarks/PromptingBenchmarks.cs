using BenchmarkDotNet.Attributes;
using OpenCvSharp;
using OpenVocab.Classification;
using OpenVocab.Detection;

namespace OpenVocab.Benchmarks;

/// <summary>
/// What each prompting feature costs on the shipped pack: encoding a class from 5 exemplar crops (cache cleared), a
/// detect call with 4 classes and 0, 2 or 8 negative prompts, and classifying the attribute of 8 boxes batched
/// through the image encoder against one crop per run.
/// </summary>
[MemoryDiagnoser]
public class PromptingBenchmarks
{
    private static readonly string[] Colours = ["red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink"];
    private static readonly string[] Shapes = ["circle", "square", "triangle", "star", "hexagon", "cross", "heart", "diamond", "ring"];
    private static readonly string[] Classes = ["green square", "purple hexagon", "orange circle", "blue circle"];
    private static readonly string[] NegativePrompts = ["green ring", "purple ring", "orange ring", "blue ring", "green diamond", "purple heart", "orange star", "blue cross"];

    private Detector _detector = null!;
    private Mat _image = new();
    private ImageExemplar[] _exemplars = [];
    private ClassSet _classes = null!;
    private Mat[] _crops = [];
    private ZeroShotLabelSet _colours = null!;

    [Params(0, 2, 8)]
    public int Negatives { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _detector = Detector.Load(TestPaths.ShapesPack);
        _image = Cv2.ImRead(Path.Combine(TestPaths.RepoRoot, "samples", "shapes_1.jpg"));
        var folder = Path.Combine(TestPaths.RepoRoot, "tests", "OpenVocab.Tests", "Detection", "Exemplars");
        _exemplars = [.. Enumerable.Range(0, 5).Select(i => ImageExemplar.FromFile(Path.Combine(folder, $"red_star_{i}.jpg")))];
        _classes = _detector.CreateClassSet(new PromptSet([.. Classes.Select(c => new ClassPrompt(c))])
        {
            Negatives = [.. NegativePrompts.Take(Negatives).Select(n => new ClassPrompt(n))],
        });
        // Eight boxes' crops, as the attribute stage cuts them: views into the image around detected objects.
        var boxes = _detector.Detect(_image, classes: _detector.CreateClassSet(ShapesClasses())).Detections.Take(8).ToArray();
        _crops = [.. boxes.Select(b => new Mat(_image, AttributeClassifier.CropRegion(b.Box, _image.Width, _image.Height)))];
        _colours = _detector.Clip.CreateLabels(Colours);
    }

    /// <summary>One class from 5 exemplar crops, nothing cached: decode, CLIP preprocessing, one image-encoder run, mean.</summary>
    [Benchmark]
    public int EncodeFiveExemplars()
    {
        _detector.ClearExemplarCache();
        return _detector.CreateClassSet([ClassPrompt.FromExemplars("red star", _exemplars)]).Prompts.Count;
    }

    /// <summary>Detect with the 4 classes and <see cref="Negatives"/> negative prompts in the same pass.</summary>
    [Benchmark]
    public int DetectWithNegatives() => _detector.Detect(_image, classes: _classes).Detections.Count;

    /// <summary>Attributes of 8 boxes: all crops in one image-encoder run, then scoring.</summary>
    [Benchmark]
    public float AttributesBatched()
    {
        var sum = 0f;
        foreach (var e in _detector.Clip.ImageEncoder.Encode(_crops))
        {
            sum += _detector.Clip.Score(e, _colours, 3).Top.Score;
        }

        return sum;
    }

    /// <summary>Attributes of 8 boxes, one image-encoder run per crop.</summary>
    [Benchmark]
    public float AttributesOneAtATime()
    {
        var sum = 0f;
        foreach (var crop in _crops)
        {
            sum += _detector.Clip.Score(_detector.Clip.ImageEncoder.Encode(crop), _colours, 3).Top.Score;
        }

        return sum;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var crop in _crops)
        {
            crop.Dispose();
        }

        _detector.Dispose();
        _image.Dispose();
    }

    private static string[] ShapesClasses() => [.. Colours.SelectMany(c => Shapes.Select(s => $"{c} {s}"))];
}
