using BenchmarkDotNet.Attributes;
using OpenCvSharp;
using OpenVocab.Detection;
using OpenVocab.Imaging;

namespace OpenVocab.Benchmarks;

/// <summary>
/// Dense output on a 4000x3000 image: what the library adds around ONNX when a 640 input (yolov8s-size, 80 classes,
/// 8400 anchors) scores thousands of boxes and <c>MaxDetections</c> lets them all through. Letterbox of the 12 MP
/// image into [3, 640, 640], then decode + NMS of a synthetic output with about 6,300 candidates of which about 5,500
/// survive NMS (the case measured on yolov8s: 6,279 candidates, 5,492 kept), per-class and class-agnostic.
/// </summary>
[MemoryDiagnoser]
public class DenseOutputBenchmarks
{
    private const int Classes = 80, Anchors = 8400, Input = 640;
    private static readonly DetectionOptions PerClass = new() { MaxDetections = 30000 };
    private static readonly DetectionOptions Agnostic = PerClass with { Agnostic = true };
    private readonly float[] _output = new float[(4 + Classes) * Anchors];
    private readonly float[] _tensor = new float[3 * Input * Input];
    private readonly YoloOutputDecoder _decoder = new();
    private readonly List<DetectedObject> _results = new(Anchors);
    private readonly string[] _labels = [.. Enumerable.Range(0, Classes).Select(i => $"class {i}")];
    private readonly Mat _scratch = new();
    private Mat _image = new();
    private LetterboxTransform _transform;

    [GlobalSetup]
    public void Setup()
    {
        using var sample = Cv2.ImRead(BenchmarkPaths.SampleImage);
        _image = sample.Resize(new OpenCvSharp.Size(4000, 3000));
        _transform = LetterboxTransform.Compute(4000, 3000, Input, Input);

        // 75 % of anchors score one class above 0.25 with a small box anywhere in the input; one candidate in seven
        // repeats an earlier candidate's box of the same class, shifted by under a pixel, so NMS removes it.
        var random = new Random(7);
        var previous = new List<(float X, float Y, float W, float H, int C)>();
        for (var a = 0; a < Anchors; a++)
        {
            for (var c = 0; c < Classes; c++)
            {
                _output[((4 + c) * Anchors) + a] = random.NextSingle() * 0.2f;
            }

            (float X, float Y, float W, float H, int C) box;
            if (previous.Count > 0 && random.NextDouble() < 0.75 / 7)
            {
                var p = previous[random.Next(previous.Count)];
                box = (p.X + random.NextSingle() - 0.5f, p.Y + random.NextSingle() - 0.5f, p.W, p.H, p.C);
            }
            else
            {
                box = (random.NextSingle() * Input, random.NextSingle() * Input, 8 + (random.NextSingle() * 32), 8 + (random.NextSingle() * 32), random.Next(Classes));
            }

            (_output[a], _output[Anchors + a], _output[(2 * Anchors) + a], _output[(3 * Anchors) + a]) = (box.X, box.Y, box.W, box.H);
            if (random.NextDouble() < 0.75)
            {
                _output[((4 + box.C) * Anchors) + a] = 0.26f + (random.NextSingle() * 0.74f);
                previous.Add(box);
            }
        }

        var candidates = 0;
        for (var a = 0; a < Anchors; a++)
        {
            for (var c = 0; c < Classes; c++)
            {
                if (_output[((4 + c) * Anchors) + a] > 0.25f)
                {
                    candidates++;
                    break;
                }
            }
        }

        Console.WriteLine($"// dense output: {candidates} candidates, {DecodePerClass()} kept per class, {DecodeAgnostic()} kept class-agnostic");
    }

    [Benchmark]
    public void Letterbox12MpTo640() => Letterbox.Apply(_image, _transform, _tensor, _scratch);

    [Benchmark]
    public int DecodePerClass()
    {
        _results.Clear();
        return _decoder.Decode(_output, Classes, Classes, _labels, PerClass, _transform, _results);
    }

    [Benchmark]
    public int DecodeAgnostic()
    {
        _results.Clear();
        return _decoder.Decode(_output, Classes, Classes, _labels, Agnostic, _transform, _results);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _image.Dispose();
        _scratch.Dispose();
    }
}
