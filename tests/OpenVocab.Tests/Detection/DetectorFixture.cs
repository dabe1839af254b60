using OpenVocab.Detection;

namespace OpenVocab.Tests.Detection;

/// <summary>One detector over the shipped pack, shared by a test class (loading costs a few hundred ms).</summary>
public sealed class DetectorFixture : IDisposable
{
    internal ListLogger Logger { get; } = new();

    public DetectorFixture() => Detector = Detector.Load(TestPaths.ShapesPack, logger: Logger);

    public Detector Detector { get; }

    public void Dispose() => Detector.Dispose();
}
