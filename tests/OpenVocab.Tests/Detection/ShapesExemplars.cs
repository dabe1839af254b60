using System.Text.Json;
using OpenVocab.Detection;

namespace OpenVocab.Tests.Detection;

/// <summary>
/// The committed exemplar crops (Detection/Exemplars, written by models/shapes/train/make_exemplars.py): five
/// render_object_crop images per ShapesWorld class from seeds nothing else renders.
/// </summary>
internal static class ShapesExemplars
{
    public static string Directory => Path.Combine(TestPaths.RepoRoot, "tests", "OpenVocab.Tests", "Detection", "Exemplars");

    private static readonly Lazy<Dictionary<string, ImageExemplar[]>> LazyAll = new(Load);

    /// <summary>Class name to its exemplars, in file order (the k=1 set is the first of each).</summary>
    public static IReadOnlyDictionary<string, ImageExemplar[]> All => LazyAll.Value;

    /// <summary>The first <paramref name="k"/> exemplars of <paramref name="label"/>.</summary>
    public static ImageExemplar[] Of(string label, int k) => All[label][..k];

    /// <summary>Every class of the world given by its first k exemplars, with its text as well when <paramref name="withText"/>.</summary>
    public static ClassPrompt[] Classes(IEnumerable<string> labels, int k, bool withText) =>
        [.. labels.Select(l => withText ? new ClassPrompt(l) { Exemplars = Of(l, k) } : ClassPrompt.FromExemplars(l, Of(l, k)))];

    private static Dictionary<string, ImageExemplar[]> Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "exemplars.json")));
        var result = new Dictionary<string, ImageExemplar[]>(StringComparer.Ordinal);
        foreach (var cls in doc.RootElement.GetProperty("classes").EnumerateObject())
        {
            result[cls.Name] = [.. cls.Value.EnumerateArray().Select(e => ImageExemplar.FromFile(Path.Combine(Directory, e.GetProperty("file").GetString()!)))];
        }

        return result;
    }
}
