using System.Text.Json;
using OpenVocab.Classification;

namespace OpenVocab.Tests.Classification;

/// <summary>The shipped pack's classification data and one shared classifier for the tests.</summary>
internal static class ClassificationData
{
    public static string EvalDir => Path.Combine(TestPaths.ShapesPack, "eval", "classification");

    public static string ReferenceDir => Path.Combine(TestPaths.ShapesPack, "reference");

    private static readonly Lazy<EvalImage[]> LazyLabels = new(LoadLabels);

    private static readonly Lazy<ZeroShotClassifier> LazyClassifier = new(() => ZeroShotClassifier.Load(TestPaths.ShapesPack));

    /// <summary>One classifier for all tests (thread-safe; never disposed: the process ends).</summary>
    public static ZeroShotClassifier Classifier => LazyClassifier.Value;

    public static EvalImage[] Labels => LazyLabels.Value;

    /// <summary>All 72 class names of the world: every colour with every shape, colour-major as the world lists them.</summary>
    public static string[] AllClasses
    {
        get
        {
            string[] colours = [.. Labels.Select(l => l.Colour).Distinct().Order(StringComparer.Ordinal)];
            string[] shapes = [.. Labels.Select(l => l.Shape).Distinct().Order(StringComparer.Ordinal)];
            return [.. colours.SelectMany(c => shapes.Select(s => $"{c} {s}"))];
        }
    }

    private static EvalImage[] LoadLabels()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(EvalDir, "labels.json")));
        return [.. doc.RootElement.EnumerateArray().Select(e => new EvalImage(
            Path.Combine(EvalDir, e.GetProperty("file").GetString()!),
            e.GetProperty("caption").GetString()!,
            e.GetProperty("colour").GetString()!,
            e.GetProperty("shape").GetString()!,
            e.GetProperty("heldout").GetBoolean(),
            e.GetProperty("kind").GetString()!))];
    }
}
