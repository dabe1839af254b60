using BenchmarkDotNet.Attributes;
using OpenVocab.Detection;
using OpenVocab.Imaging;

namespace OpenVocab.Benchmarks;

/// <summary>
/// Decoding + NMS of a [1, 4+80, 8400] output (ultralytics' 640 input, 80 classes) with a realistic score distribution:
/// almost all scores near zero, a few hundred anchors clustered on ~20 objects above the threshold.
/// </summary>
[MemoryDiagnoser]
public class PostprocessingBenchmarks
{
    private const int Classes = 80, Anchors = 8400;
    private readonly float[] _output = new float[(4 + Classes) * Anchors];
    private readonly YoloOutputDecoder _decoder = new();
    private readonly List<DetectedObject> _results = new(300);
    private readonly string[] _labels = [.. Enumerable.Range(0, Classes).Select(i => $"class {i}")];
    private readonly LetterboxTransform _transform = LetterboxTransform.Compute(1280, 720, 640, 640);

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var objects = Enumerable.Range(0, 20).Select(_ => (X: random.Next(40, 600), Y: random.Next(100, 540), W: random.Next(20, 200), H: random.Next(20, 200), C: random.Next(Classes))).ToArray();
        for (var a = 0; a < Anchors; a++)
        {
            var o = objects[random.Next(objects.Length)];
            _output[a] = o.X + (random.NextSingle() * 8) - 4;
            _output[Anchors + a] = o.Y + (random.NextSingle() * 8) - 4;
            _output[(2 * Anchors) + a] = o.W * (0.9f + (random.NextSingle() * 0.2f));
            _output[(3 * Anchors) + a] = o.H * (0.9f + (random.NextSingle() * 0.2f));
            for (var c = 0; c < Classes; c++)
            {
                _output[((4 + c) * Anchors) + a] = random.NextSingle() * 0.02f;
            }

            // About 3% of anchors sit on an object and score it.
            if (random.NextDouble() < 0.03)
            {
                _output[((4 + o.C) * Anchors) + a] = 0.2f + (random.NextSingle() * 0.8f);
            }
        }
    }

    [Benchmark]
    public int DecodeAndNms()
    {
        _results.Clear();
        return _decoder.Decode(_output, Classes, Classes, _labels, DetectionOptions.Default, _transform, _results);
    }
}
