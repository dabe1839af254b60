using BenchmarkDotNet.Attributes;
using OpenCvSharp;
using OpenVocab.Classification;
using OpenVocab.Detection;

namespace OpenVocab.Benchmarks;

/// <summary>
/// What exemplars and attributes cost on the shipped pack: encoding a class from 5 exemplar crops (cache cleared), and
/// classifying the attribute of 8 boxes (crops cut from the samples as the attribute stage cuts them) batched through
/// the image encoder against one crop per run. Negative prompts are timed by <see cref="PromptingNegativesBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
public class PromptingBenchmarks
{
    /// <summary>Boxes whose attribute is classified per call; divide a mean by it for the time per box.</summary>
    public const int Boxes = 8;

    private static readonly string[] Colours = ["red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink"];

    private Detector _detector = null!;
    private ImageExemplar[] _exemplars = [];
    private Mat[] _crops = [];
    private ZeroShotLabelSet _colours = null!;

    [GlobalSetup]
    public void Setup()
    {
        _detector = Detector.Load(TestPaths.ShapesPack);
        var folder = Path.Combine(TestPaths.RepoRoot, "tests", "OpenVocab.Tests", "Detection", "Exemplars");
        _exemplars = [.. Enumerable.Range(0, 5).Select(i => ImageExemplar.FromFile(Path.Combine(folder, $"red_star_{i}.jpg")))];

        // Eight boxes' crops, as the attribute stage cuts them, from the samples' detections (each sample has a few objects).
        var classes = _detector.CreateClassSet([.. Colours.SelectMany(c => PromptingNegativesBenchmarks.Shapes.Select(s => $"{c} {s}"))]);
        var crops = new List<Mat>();
        for (var i = 1; crops.Count < Boxes && i <= 4; i++)
        {
            using var image = Cv2.ImRead(Path.Combine(TestPaths.RepoRoot, "samples", $"shapes_{i}.jpg"));
            foreach (var d in _detector.Detect(image, classes: classes).Detections.Take(Boxes - crops.Count))
            {
                crops.Add(new Mat(image, AttributeClassifier.CropRegion(d.Box, image.Width, image.Height)).Clone());
            }
        }

        _crops = crops.Count == Boxes ? [.. crops] : throw new InvalidOperationException($"The samples gave {crops.Count} boxes; {Boxes} are needed.");
        _colours = _detector.Clip.CreateLabels(Colours);
    }

    /// <summary>One class from 5 exemplar crops, nothing cached: decode, CLIP preprocessing, one image-encoder run, mean.</summary>
    [Benchmark]
    public int EncodeFiveExemplars()
    {
        _detector.ClearExemplarCache();
        return _detector.CreateClassSet([ClassPrompt.FromExemplars("red star", _exemplars)]).Prompts.Count;
    }

    /// <summary>Attributes of <see cref="Boxes"/> boxes: all crops in one image-encoder run, then scoring.</summary>
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

    /// <summary>Attributes of <see cref="Boxes"/> boxes, one image-encoder run per crop.</summary>
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
    }
}
