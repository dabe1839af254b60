namespace OpenVocab.Evaluation;

/// <summary>
/// COCO bounding-box evaluation with the definitions of pycocotools' <c>COCOeval</c> (<c>iouType="bbox"</c>,
/// area range "all", <c>maxDets</c> 100): per image and category, detections ranked by score (stable) are matched
/// greedily to ground truth at each IoU threshold 0.50:0.05:0.95; precision is made monotone from the right and read
/// at the 101 recall thresholds 0:0.01:1 (first point whose recall reaches the threshold); a category without
/// ground truth has AP −1 and stays out of every mean.
/// </summary>
/// <remarks>
/// One deliberate difference: pycocotools marks a match by storing the other side's annotation id, so a ground
/// truth with id 0 counts as unmatched there; here a match is a match whatever the ids.
/// Ground truth is indexed once at construction; <see cref="Evaluate(IEnumerable{CocoDetection})"/> may then be called from several threads.
/// </remarks>
public sealed class CocoEvaluator
{
    /// <summary>The IoU thresholds, computed as numpy's <c>linspace(.5, .95, 10)</c>.</summary>
    public static IReadOnlyList<double> IouThresholds { get; } = Linspace(0.5, 0.95, 10);

    /// <summary>The recall thresholds, computed as numpy's <c>linspace(0, 1, 101)</c>.</summary>
    public static IReadOnlyList<double> RecallThresholds { get; } = Linspace(0.0, 1.0, 101);

    private readonly long[] _imageIds;
    private readonly int[] _categoryIds;
    private readonly HashSet<long> _imageSet;
    private readonly Dictionary<(long Image, int Category), CocoGroundTruth[]> _gts;
    private readonly int _maxDetections;

    /// <summary>Indexes the ground truth of <paramref name="dataset"/>: all its images and categories count.</summary>
    /// <param name="dataset">Images, categories and annotations.</param>
    /// <param name="maxDetections">Detections kept per image and category, highest scores first (pycocotools'
    /// last <c>maxDets</c>, 100).</param>
    public CocoEvaluator(CocoDataset dataset, int maxDetections = 100)
        : this(
            (dataset ?? throw new ArgumentNullException(nameof(dataset))).Images.Select(i => i.Id),
            dataset.Categories.Select(c => c.Id),
            dataset.Annotations,
            maxDetections)
    {
    }

    /// <summary>Indexes ground truth given as plain lists.</summary>
    /// <param name="imageIds">Every image evaluated, including those without ground truth (their detections are
    /// false positives).</param>
    /// <param name="categoryIds">Every category evaluated; detections of other categories are ignored.</param>
    /// <param name="groundTruths">The ground truth; entries outside the images or categories are ignored.</param>
    /// <param name="maxDetections">Detections kept per image and category, highest scores first.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDetections"/> is less than 1.</exception>
    public CocoEvaluator(IEnumerable<long> imageIds, IEnumerable<int> categoryIds, IEnumerable<CocoGroundTruth> groundTruths, int maxDetections = 100)
    {
        ArgumentNullException.ThrowIfNull(imageIds);
        ArgumentNullException.ThrowIfNull(categoryIds);
        ArgumentNullException.ThrowIfNull(groundTruths);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDetections, 1);
        _maxDetections = maxDetections;
        _imageIds = imageIds.Distinct().Order().ToArray();
        _categoryIds = categoryIds.Distinct().Order().ToArray();
        _imageSet = [.. _imageIds];
        var categorySet = new HashSet<int>(_categoryIds);
        var lists = new Dictionary<(long, int), List<CocoGroundTruth>>();
        foreach (var g in groundTruths)
        {
            if (!_imageSet.Contains(g.ImageId) || !categorySet.Contains(g.CategoryId))
            {
                continue;
            }

            if (!lists.TryGetValue((g.ImageId, g.CategoryId), out var list))
            {
                lists[(g.ImageId, g.CategoryId)] = list = [];
            }

            list.Add(g);
        }

        // pycocotools visits crowd (ignored) ground truth after the rest, keeping file order within each group.
        _gts = lists.ToDictionary(kv => kv.Key, kv => kv.Value.Where(g => !g.IsCrowd).Concat(kv.Value.Where(g => g.IsCrowd)).ToArray());
    }

    /// <summary>Evaluates <paramref name="dataset"/>'s ground truth against <paramref name="detections"/>.</summary>
    /// <param name="dataset">The ground truth.</param>
    /// <param name="detections">The detections.</param>
    /// <returns>The metrics.</returns>
    public static CocoMetrics Evaluate(CocoDataset dataset, IEnumerable<CocoDetection> detections) =>
        new CocoEvaluator(dataset).Evaluate(detections);

    /// <summary>Evaluates <paramref name="detections"/> against the ground truth.</summary>
    /// <param name="detections">The detections; ties in score keep this order, as in pycocotools.</param>
    /// <returns>The metrics.</returns>
    /// <exception cref="ArgumentException">A detection names an image that is not in the ground truth
    /// (pycocotools refuses such results too).</exception>
    public CocoMetrics Evaluate(IEnumerable<CocoDetection> detections)
    {
        ArgumentNullException.ThrowIfNull(detections);
        var dts = new Dictionary<(long, int), List<CocoDetection>>();
        foreach (var d in detections)
        {
            if (!_imageSet.Contains(d.ImageId))
            {
                throw new ArgumentException($"A detection is for image {d.ImageId}, which is not in the ground truth.", nameof(detections));
            }

            if (!dts.TryGetValue((d.ImageId, d.CategoryId), out var list))
            {
                dts[(d.ImageId, d.CategoryId)] = list = [];
            }

            list.Add(d);
        }

        int t = IouThresholds.Count;
        int r = RecallThresholds.Count;
        var categories = new CocoCategoryMetrics[_categoryIds.Length];
        var scores = new List<double>();
        var matched = new List<bool>[t];
        var ignored = new List<bool>[t];
        for (int i = 0; i < t; i++)
        {
            matched[i] = [];
            ignored[i] = [];
        }

        for (int k = 0; k < _categoryIds.Length; k++)
        {
            int cat = _categoryIds[k];
            scores.Clear();
            for (int i = 0; i < t; i++)
            {
                matched[i].Clear();
                ignored[i].Clear();
            }

            int positives = 0;
            foreach (long img in _imageIds)
            {
                var gt = _gts.GetValueOrDefault((img, cat)) ?? [];
                var dt = dts.GetValueOrDefault((img, cat));
                positives += gt.Count(g => !g.IsCrowd);
                if (dt is null || dt.Count == 0)
                {
                    continue;
                }

                EvaluateImage(gt, dt, scores, matched, ignored);
            }

            categories[k] = Accumulate(cat, positives, scores, matched, ignored, r);
        }

        return new CocoMetrics(categories);
    }

    private void EvaluateImage(CocoGroundTruth[] gt, List<CocoDetection> dtAll, List<double> scores, List<bool>[] matched, List<bool>[] ignored)
    {
        // Stable descending sort by score, then keep the top maxDetections.
        var order = Enumerable.Range(0, dtAll.Count).ToArray();
        Array.Sort(order, (a, b) =>
        {
            int c = dtAll[b].Score.CompareTo(dtAll[a].Score);
            return c != 0 ? c : a.CompareTo(b);
        });
        int nd = Math.Min(order.Length, _maxDetections);
        int ng = gt.Length;
        var ious = new double[nd, ng];
        for (int d = 0; d < nd; d++)
        {
            var db = dtAll[order[d]].Box;
            for (int g = 0; g < ng; g++)
            {
                ious[d, g] = Iou(db, gt[g].Box, gt[g].IsCrowd);
            }
        }

        var gtMatched = new bool[ng];
        for (int ti = 0; ti < IouThresholds.Count; ti++)
        {
            Array.Clear(gtMatched);
            double threshold = Math.Min(IouThresholds[ti], 1 - 1e-10);
            for (int d = 0; d < nd; d++)
            {
                double best = threshold;
                int m = -1;
                for (int g = 0; g < ng; g++)
                {
                    if (gtMatched[g] && !gt[g].IsCrowd)
                    {
                        continue;
                    }

                    // Ground truth is ordered real-then-crowd: once a real one is matched, stop before the crowd.
                    if (m > -1 && !gt[m].IsCrowd && gt[g].IsCrowd)
                    {
                        break;
                    }

                    if (ious[d, g] < best)
                    {
                        continue;
                    }

                    best = ious[d, g];
                    m = g;
                }

                if (m == -1)
                {
                    matched[ti].Add(false);
                    ignored[ti].Add(false);
                    continue;
                }

                gtMatched[m] = true;
                matched[ti].Add(true);
                ignored[ti].Add(gt[m].IsCrowd);
            }
        }

        for (int d = 0; d < nd; d++)
        {
            scores.Add(dtAll[order[d]].Score);
        }
    }

    private static CocoCategoryMetrics Accumulate(int categoryId, int positives, List<double> scores, List<bool>[] matched, List<bool>[] ignored, int r)
    {
        int t = IouThresholds.Count;
        int n = scores.Count;
        if (positives == 0)
        {
            return new CocoCategoryMetrics(categoryId, 0, n, -1, -1, -1, Enumerable.Repeat(-1.0, t).ToArray());
        }

        // Stable sort of all images' detections by descending score (numpy's mergesort on -score).
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(order, (a, b) =>
        {
            int c = scores[b].CompareTo(scores[a]);
            return c != 0 ? c : a.CompareTo(b);
        });

        var apByThreshold = new double[t];
        double recallSum = 0;
        var rc = new double[n];
        var pr = new double[n];
        double eps = Math.BitIncrement(1.0) - 1.0; // np.spacing(1)
        for (int ti = 0; ti < t; ti++)
        {
            double tp = 0, fp = 0;
            int len = 0;
            for (int i = 0; i < n; i++)
            {
                int j = order[i];
                if (ignored[ti][j])
                {
                    // Neither a true nor a false positive, but it still occupies a rank (numpy keeps the column).
                }
                else if (matched[ti][j])
                {
                    tp++;
                }
                else
                {
                    fp++;
                }

                rc[len] = tp / positives;
                pr[len] = tp / (fp + tp + eps);
                len++;
            }

            recallSum += len > 0 ? rc[len - 1] : 0;
            for (int i = len - 1; i > 0; i--)
            {
                if (pr[i] > pr[i - 1])
                {
                    pr[i - 1] = pr[i];
                }
            }

            double sum = 0;
            int p = 0;
            for (int ri = 0; ri < r; ri++)
            {
                double thr = RecallThresholds[ri];
                while (p < len && rc[p] < thr)
                {
                    p++;
                }

                if (p >= len)
                {
                    break; // numpy's IndexError: this and all higher thresholds stay 0.
                }

                sum += pr[p];
            }

            apByThreshold[ti] = sum / r;
        }

        return new CocoCategoryMetrics(categoryId, positives, n, apByThreshold[0], apByThreshold.Average(), recallSum / t, apByThreshold);
    }

    /// <summary>pycocotools' <c>bbIou</c>: intersection over union, or over the detection's area for a crowd region.</summary>
    internal static double Iou(in CocoBox dt, in CocoBox gt, bool crowd)
    {
        double w = Math.Min(dt.X + dt.Width, gt.X + gt.Width) - Math.Max(dt.X, gt.X);
        if (w <= 0)
        {
            return 0;
        }

        double h = Math.Min(dt.Y + dt.Height, gt.Y + gt.Height) - Math.Max(dt.Y, gt.Y);
        if (h <= 0)
        {
            return 0;
        }

        double inter = w * h;
        double da = dt.Width * dt.Height;
        double union = crowd ? da : da + (gt.Width * gt.Height) - inter;
        return inter / union;
    }

    private static double[] Linspace(double start, double stop, int num)
    {
        double step = (stop - start) / (num - 1);
        var y = new double[num];
        for (int i = 0; i < num; i++)
        {
            y[i] = (i * step) + start;
        }

        y[^1] = stop;
        return y;
    }
}
