namespace OpenVocab.Evaluation;

/// <summary>
/// The result of a COCO evaluation: means over the categories that have ground truth (pycocotools' summary
/// <c>stats[0]</c>, <c>stats[1]</c> and <c>stats[8]</c>), and per-category values. Immutable.
/// </summary>
public sealed class CocoMetrics
{
    private readonly Dictionary<int, CocoCategoryMetrics> _byId;

    internal CocoMetrics(IReadOnlyList<CocoCategoryMetrics> categories)
    {
        Categories = categories;
        _byId = categories.ToDictionary(c => c.CategoryId);
        var all = categories.Select(c => c.CategoryId).ToArray();
        MAP50 = MeanAP50(all);
        MAP50To95 = MeanAP50To95(all);
        MeanRecall = Mean(all, c => c.Recall);
    }

    /// <summary>Mean AP at IoU 0.5 over categories with ground truth; −1 when there are none.</summary>
    public double MAP50 { get; }

    /// <summary>Mean AP over IoU 0.50:0.05:0.95 and over categories with ground truth (COCO's AP); −1 when there are none.</summary>
    public double MAP50To95 { get; }

    /// <summary>Mean recall (COCO's AR@100 with the default cap) over categories with ground truth; −1 when there are none.</summary>
    public double MeanRecall { get; }

    /// <summary>Per-category metrics, ordered by category id.</summary>
    public IReadOnlyList<CocoCategoryMetrics> Categories { get; }

    /// <summary>The metrics of one category.</summary>
    /// <exception cref="KeyNotFoundException">The category was not evaluated.</exception>
    public CocoCategoryMetrics this[int categoryId] =>
        _byId.TryGetValue(categoryId, out var m) ? m : throw new KeyNotFoundException($"Category {categoryId} was not evaluated.");

    /// <summary>Mean AP at IoU 0.5 over the given categories that have ground truth (for example the held-out
    /// ones); −1 when none has.</summary>
    /// <exception cref="KeyNotFoundException">A category was not evaluated.</exception>
    public double MeanAP50(IEnumerable<int> categoryIds) => Mean(categoryIds, c => c.AP50);

    /// <summary>Mean AP over IoU 0.50:0.05:0.95 over the given categories that have ground truth; −1 when none has.</summary>
    /// <exception cref="KeyNotFoundException">A category was not evaluated.</exception>
    public double MeanAP50To95(IEnumerable<int> categoryIds) => Mean(categoryIds, c => c.AP50To95);

    private double Mean(IEnumerable<int> categoryIds, Func<CocoCategoryMetrics, double> value)
    {
        ArgumentNullException.ThrowIfNull(categoryIds);
        double sum = 0;
        int n = 0;
        foreach (int id in categoryIds.Distinct())
        {
            var c = this[id];
            if (c.IsValid)
            {
                sum += value(c);
                n++;
            }
        }

        return n == 0 ? -1 : sum / n;
    }
}
