using OpenVocab.Evaluation;

namespace OpenVocab.Tests;

/// <summary>The shipped pack's evaluation data.</summary>
internal static class ShapesWorld
{
    public static string DetectionDir => Path.Combine(TestPaths.ShapesPack, "eval", "detection");

    public static string Annotations => Path.Combine(DetectionDir, "annotations.json");

    /// <summary>The folder the annotations' file names ("images/0000.jpg") are relative to.</summary>
    public static string Images => DetectionDir;

    private static readonly Lazy<CocoDataset> LazyDataset = new(() => CocoDataset.Load(Annotations));

    public static CocoDataset Dataset => LazyDataset.Value;

    /// <summary>All class names of the world, seen and held-out, in category order.</summary>
    public static string[] AllClasses => [.. Dataset.Categories.Select(c => c.Name)];

    /// <summary>Class names that appear in training.</summary>
    public static string[] SomeSeenClasses => [.. Dataset.Categories.Where(c => !c.IsHeldOut).Select(c => c.Name)];
}
