using BenchmarkDotNet.Attributes;
using OpenCvSharp;
using OpenVocab.Imaging;

namespace OpenVocab.Benchmarks;

/// <summary>Letterbox + tensor packing into a reused [3, 320, 320] buffer.</summary>
[MemoryDiagnoser]
public class PreprocessingBenchmarks
{
    private Mat _image = new();
    private readonly Mat _scratch = new();
    private readonly float[] _tensor = new float[3 * 320 * 320];
    private LetterboxTransform _transform;

    [Params("1280x720", "4000x3000")]
    public string Size { get; set; } = "1280x720";

    [GlobalSetup]
    public void Setup()
    {
        var parts = Size.Split('x');
        using var sample = Cv2.ImRead(BenchmarkPaths.SampleImage);
        _image = sample.Resize(new OpenCvSharp.Size(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
        _transform = LetterboxTransform.Compute(_image.Width, _image.Height, 320, 320);
    }

    [Benchmark]
    public void Letterbox() => Imaging.Letterbox.Apply(_image, _transform, _tensor, _scratch);

    [GlobalCleanup]
    public void Cleanup()
    {
        _image.Dispose();
        _scratch.Dispose();
    }
}
