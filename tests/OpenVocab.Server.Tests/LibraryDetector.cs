using System.Buffers;
using System.Text.Json;
using OpenVocab.Detection;
using OpenVocab.Imaging;
using OpenVocab.Tests;

namespace OpenVocab.Server.Tests;

/// <summary>
/// The library's own detector on the shipped pack, in the test process: what the server's answers are compared with.
/// Loaded once per test class, disposed with it; detect calls are thread-safe.
/// </summary>
public sealed class LibraryDetector : IDisposable
{
    public Detector Detector { get; } = Detector.Load(TestPaths.ShapesPack);

    /// <summary>
    /// The "detections" array the library gives for an image file decoded as the server decodes uploads, run as the
    /// server's batcher runs a lone image, written by the one JSON writer.
    /// </summary>
    public string Detections(string imagePath, PromptSet prompts, DetectionOptions? options = null)
    {
        var classes = Detector.CreateClassSet(prompts);
        using var image = ImageLoader.Decode(File.ReadAllBytes(imagePath), imagePath);
        var result = Detector.DetectBatch([image], options ?? DetectionOptions.Default, classes)[0];
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            DetectionJson.WriteDetectionsProperty(writer, result.Detections);
            writer.WriteEndObject();
        }

        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.GetProperty("detections").GetRawText();
    }

    /// <summary>A committed ShapesWorld exemplar crop (tests/OpenVocab.Tests/Detection/Exemplars), e.g. "red_star_0.jpg".</summary>
    public static string Exemplar(string file) => Path.Combine(TestPaths.RepoRoot, "tests", "OpenVocab.Tests", "Detection", "Exemplars", file);

    public void Dispose() => Detector.Dispose();
}
