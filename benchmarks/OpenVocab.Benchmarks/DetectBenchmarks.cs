using BenchmarkDotNet.Attributes;
using OpenCvSharp;
using OpenVocab.Detection;

namespace OpenVocab.Benchmarks;

/// <summary>
/// Full Detect on the shipped ShapesWorld pack (letterbox, ONNX, decoding, NMS) with 16 classes, at the default
/// thresholds and dense (confidence 0.001, no cap on detections: every one of the 2,100 anchors is a candidate).
/// </summary>
[MemoryDiagnoser]
public class DetectBenchmarks
{
    private Detector _detector = null!;
    private Mat _image = new();

    [Params("1280x720", "4000x3000")]
    public string Size { get; set; } = "1280x720";

    [GlobalSetup]
    public void Setup()
    {
        _detector = Detector.Load(TestPaths.ShapesPack);
        var parts = Size.Split('x');
        using var sample = Cv2.ImRead(BenchmarkPaths.SampleImage);
        _image = sample.Resize(new OpenCvSharp.Size(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
        _detector.SetClasses(
            "red circle", "red square", "blue circle", "blue star", "green triangle", "yellow square", "purple circle", "orange star",
            "red triangle", "blue square", "green circle", "yellow star", "purple square", "orange circle", "pink circle", "cyan square");
    }

    private static readonly DetectionOptions Dense = new() { Confidence = 0.001, MaxDetections = 30000 };

    [Benchmark]
    public int Detect() => _detector.Detect(_image).Detections.Count;

    [Benchmark]
    public int DetectDense() => _detector.Detect(_image, Dense).Detections.Count;

    [GlobalCleanup]
    public void Cleanup()
    {
        _detector.Dispose();
        _image.Dispose();
    }
}
