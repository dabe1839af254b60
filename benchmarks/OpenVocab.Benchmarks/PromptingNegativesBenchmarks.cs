using BenchmarkDotNet.Attributes;
using OpenCvSharp;
using OpenVocab.Detection;

namespace OpenVocab.Benchmarks;

/// <summary>
/// What negative prompts add to a detect call on the shipped pack: 4 classes and 0, 1, 8 or 32 negatives (other
/// colour-shape pairs), scored in the same pass. The slope between the counts is the time per negative; 0 against 1
/// also shows the switch to the multi-prompt merge path.
/// </summary>
[MemoryDiagnoser]
public class PromptingNegativesBenchmarks
{
    internal static readonly string[] Shapes = ["circle", "square", "triangle", "star", "hexagon", "cross", "heart", "diamond", "ring"];

    private static readonly string[] Colours = ["red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink"];
    private static readonly string[] Classes = ["green square", "purple hexagon", "orange circle", "blue circle"];

    private Detector _detector = null!;
    private Mat _image = new();
    private ClassSet _classes = null!;

    [Params(0, 1, 8, 32)]
    public int Negatives { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _detector = Detector.Load(TestPaths.ShapesPack);
        _image = Cv2.ImRead(Path.Combine(TestPaths.RepoRoot, "samples", "shapes_1.jpg"));
        var negatives = Shapes.SelectMany(s => Colours.Select(c => $"{c} {s}")).Where(p => !Classes.Contains(p)).Take(Negatives);
        _classes = _detector.CreateClassSet(new PromptSet([.. Classes.Select(c => new ClassPrompt(c))])
        {
            Negatives = [.. negatives.Select(n => new ClassPrompt(n))],
        });
    }

    /// <summary>Detect with the 4 classes and <see cref="Negatives"/> negative prompts in the same pass.</summary>
    [Benchmark]
    public int DetectWithNegatives() => _detector.Detect(_image, classes: _classes).Detections.Count;

    [GlobalCleanup]
    public void Cleanup()
    {
        _detector.Dispose();
        _image.Dispose();
    }
}
