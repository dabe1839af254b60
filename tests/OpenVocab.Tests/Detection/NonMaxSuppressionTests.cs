using OpenVocab.Detection;

namespace OpenVocab.Tests.Detection;

public class NonMaxSuppressionTests
{
    /// <summary>
    /// Brute force written from the definition: visit boxes by score (stable), keep a box unless a kept box of the
    /// same class overlaps it by more than the threshold. Per-class boxes are shifted by class·7680 in float first,
    /// which is what ultralytics hands to torchvision.
    /// </summary>
    internal static List<int> Reference(BoundingBox[] boxes, float[] scores, int[]? classes, double threshold)
    {
        var order = Enumerable.Range(0, boxes.Length).OrderByDescending(i => scores[i]).ToList(); // LINQ sort is stable
        var shifted = boxes.Select((b, i) =>
        {
            float o = classes is null ? 0f : classes[i] * 7680f;
            return new BoundingBox(b.X1 + o, b.Y1 + o, b.X2 + o, b.Y2 + o);
        }).ToArray();
        var kept = new List<int>();
        foreach (int i in order)
        {
            bool suppressed = false;
            foreach (int k in kept)
            {
                var a = shifted[k];
                var b = shifted[i];
                float w = Math.Max(0f, Math.Min(a.X2, b.X2) - Math.Max(a.X1, b.X1));
                float h = Math.Max(0f, Math.Min(a.Y2, b.Y2) - Math.Max(a.Y1, b.Y1));
                float inter = w * h;
                float areaA = (a.X2 - a.X1) * (a.Y2 - a.Y1);
                float areaB = (b.X2 - b.X1) * (b.Y2 - b.Y1);
                float iou = inter / (areaA + areaB - inter);
                if ((double)iou > threshold)
                {
                    suppressed = true;
                    break;
                }
            }

            if (!suppressed)
            {
                kept.Add(i);
            }
        }

        return kept;
    }

    internal static (BoundingBox[] Boxes, float[] Scores, int[] Classes) RandomBoxes(Random rng, int n, int classes, bool ties)
    {
        var boxes = new BoundingBox[n];
        var scores = new float[n];
        var cls = new int[n];
        for (int i = 0; i < n; i++)
        {
            float x = (float)(rng.NextDouble() * 200), y = (float)(rng.NextDouble() * 200);
            float w = (float)(1 + (rng.NextDouble() * 80)), h = (float)(1 + (rng.NextDouble() * 80));
            boxes[i] = new BoundingBox(x, y, x + w, y + h);
            // Quantised scores make many exact ties, which must keep input order.
            scores[i] = ties ? rng.Next(1, 9) / 8f : (float)rng.NextDouble();
            cls[i] = rng.Next(classes);
        }

        // A few exact duplicates (IoU 1) and identical boxes in other classes.
        for (int i = 0; i + 1 < n; i += 17)
        {
            boxes[i + 1] = boxes[i];
        }

        return (boxes, scores, cls);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Matches_brute_force_on_random_boxes(bool agnostic, bool ties)
    {
        double[] thresholds = [0.0, 0.3, 0.45, 0.5, 0.7, 0.9, 1.0];
        for (int seed = 0; seed < 300; seed++)
        {
            var rng = new Random(seed);
            int n = rng.Next(0, 120);
            var (boxes, scores, classes) = RandomBoxes(rng, n, rng.Next(1, 6), ties);
            double threshold = thresholds[seed % thresholds.Length];
            var expected = Reference(boxes, scores, agnostic ? null : classes, threshold);
            var keep = new int[n];
            int count = NonMaxSuppression.Apply(boxes, scores, agnostic ? [] : classes, threshold, keep);
            Assert.Equal(expected, keep.Take(count));

            // A short keep buffer gives the prefix of the full result.
            int cap = rng.Next(1, 10);
            var shortKeep = new int[cap];
            int shortCount = NonMaxSuppression.Apply(boxes, scores, agnostic ? [] : classes, threshold, shortKeep);
            Assert.Equal(expected.Take(cap), shortKeep.Take(shortCount));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Grid_makes_the_same_decisions_as_all_pairs_on_dense_boxes(bool agnostic)
    {
        // Thousands of boxes (the grid's range), many overlapping: clustered and scattered, small and huge, exact
        // duplicates, empty and inverted boxes, ties, several classes; thresholds at both ends; short keep buffers.
        double[] thresholds = [0.0, 0.3, 0.5, 0.7, 0.9, 1.0];
        var grids = 0;
        for (int seed = 0; seed < 24; seed++)
        {
            var rng = new Random(seed);
            int n = rng.Next(NonMaxSuppression.GridMinBoxes, 4000);
            var (x1, y1, x2, y2) = DenseSorted(rng, n, agnostic ? 1 : rng.Next(1, 80));
            double threshold = thresholds[seed % thresholds.Length];
            foreach (var cap in new[] { n, rng.Next(1, n) })
            {
                var expected = new int[cap];
                int expectedCount = NonMaxSuppression.SuppressSortedAllPairs(x1, y1, x2, y2, new float[n], new int[n], threshold, expected);
                var actual = new int[cap];
                int actualCount = NonMaxSuppression.SuppressSortedGrid(x1, y1, x2, y2, new float[n], new int[n], threshold, actual);
                Assert.True(actualCount >= 0, $"seed {seed}: the grid declined finite boxes");
                Assert.Equal(expected.Take(expectedCount), actual.Take(actualCount));
                Assert.True(expectedCount < n || threshold == 1.0, $"seed {seed}: nothing suppressed, the case proves little");
                grids++;
            }
        }

        Assert.Equal(48, grids);
    }

    [Fact]
    public void Grid_declines_boxes_it_cannot_place_and_all_pairs_decides_them()
    {
        var rng = new Random(3);
        int n = NonMaxSuppression.GridMinBoxes + 10;
        var (x1, y1, x2, y2) = DenseSorted(rng, n, 1);
        x2[5] = float.NaN;
        y1[7] = float.PositiveInfinity;
        Assert.Equal(-1, NonMaxSuppression.SuppressSortedGrid(x1, y1, x2, y2, new float[n], new int[n], 0.5, new int[n]));
        var expected = new int[n];
        int count = NonMaxSuppression.SuppressSortedAllPairs(x1, y1, x2, y2, new float[n], new int[n], 0.5, expected);
        var actual = new int[n];
        Assert.Equal(expected.Take(count), actual.Take(NonMaxSuppression.SuppressSorted(x1, y1, x2, y2, new float[n], new int[n], 0.5, actual)));

        // Only empty boxes: nothing to size a grid by.
        var empty = new float[n];
        Assert.Equal(-1, NonMaxSuppression.SuppressSortedGrid(empty, empty, empty, empty, new float[n], new int[n], 0.5, new int[n]));
    }

    [Fact]
    public void Many_boxes_through_apply_match_brute_force()
    {
        var rng = new Random(11);
        int n = 3 * NonMaxSuppression.GridMinBoxes;
        var (boxes, scores, classes) = RandomBoxes(rng, n, 4, ties: true);
        var keep = new int[n];
        int count = NonMaxSuppression.Apply(boxes, scores, classes, 0.45, keep);
        Assert.Equal(Reference(boxes, scores, classes, 0.45), keep.Take(count));
    }

    /// <summary>Corners already in visiting order and shifted per class, as the decoder hands them to NMS.</summary>
    private static (float[] X1, float[] Y1, float[] X2, float[] Y2) DenseSorted(Random rng, int n, int classes)
    {
        float[] x1 = new float[n], y1 = new float[n], x2 = new float[n], y2 = new float[n];
        var clusters = Enumerable.Range(0, 1 + (n / 20)).Select(_ => (X: rng.NextSingle() * 640, Y: rng.NextSingle() * 640)).ToArray();
        for (int i = 0; i < n; i++)
        {
            float x, y, w, h;
            int kind = rng.Next(20);
            if (kind == 0)
            {
                // Huge: spans much of the image (out of the grid).
                (x, y, w, h) = (rng.NextSingle() * 100, rng.NextSingle() * 100, 200 + (rng.NextSingle() * 500), 200 + (rng.NextSingle() * 500));
            }
            else if (kind == 1 && i > 0)
            {
                // An exact copy of an earlier box.
                int k = rng.Next(i);
                (x1[i], y1[i], x2[i], y2[i]) = (x1[k], y1[k], x2[k], y2[k]);
                continue;
            }
            else if (kind == 2)
            {
                // Empty or inverted.
                (x, y, w, h) = (rng.NextSingle() * 640, rng.NextSingle() * 640, rng.Next(3) - 1, rng.Next(3) - 1);
            }
            else
            {
                var c = clusters[rng.Next(clusters.Length)];
                (x, y, w, h) = (c.X + (rng.NextSingle() * 30) - 15, c.Y + (rng.NextSingle() * 30) - 15, 5 + (rng.NextSingle() * 60), 5 + (rng.NextSingle() * 60));
            }

            float offset = rng.Next(classes) * NonMaxSuppression.ClassOffset;
            (x1[i], y1[i], x2[i], y2[i]) = (x + offset, y + offset, x + w + offset, y + h + offset);
        }

        return (x1, y1, x2, y2);
    }

    [Fact]
    public void Iou_exactly_at_the_threshold_does_not_suppress()
    {
        // IoU = 50 / 100 = 0.5 exactly.
        BoundingBox[] boxes = [new(0, 0, 10, 10), new(0, 0, 10, 5)];
        float[] scores = [0.9f, 0.8f];
        var keep = new int[2];
        Assert.Equal(2, NonMaxSuppression.Apply(boxes, scores, [], 0.5, keep));
        Assert.Equal(1, NonMaxSuppression.Apply(boxes, scores, [], 0.49999, keep));
    }

    [Fact]
    public void Float_iou_is_compared_with_the_double_threshold()
    {
        // 0.7f is 0.699999988: not above 0.7 (double), so no suppression; torchvision compares the same way.
        BoundingBox[] boxes = [new(0, 0, 10, 10), new(0, 0, 10, 7)];
        Assert.Equal(0.7f, BoundingBox.IoU(boxes[0], boxes[1]));
        var keep = new int[2];
        Assert.Equal(2, NonMaxSuppression.Apply(boxes, [0.9f, 0.8f], [], 0.7, keep));
        Assert.Equal(1, NonMaxSuppression.Apply(boxes, [0.9f, 0.8f], [], 0.6999999, keep));
    }

    [Fact]
    public void Equal_scores_keep_input_order()
    {
        BoundingBox[] boxes = [new(0, 0, 10, 10), new(1, 1, 11, 11), new(100, 100, 110, 110)];
        var keep = new int[3];
        int n = NonMaxSuppression.Apply(boxes, [0.5f, 0.5f, 0.5f], [], 0.5, keep);
        Assert.Equal([0, 2], keep.Take(n));
    }

    [Fact]
    public void Classes_do_not_suppress_each_other_unless_agnostic()
    {
        BoundingBox[] boxes = [new(0, 0, 10, 10), new(0, 0, 10, 10)];
        var keep = new int[2];
        Assert.Equal(2, NonMaxSuppression.Apply(boxes, [0.9f, 0.8f], [0, 1], 0.7, keep));
        Assert.Equal(1, NonMaxSuppression.Apply(boxes, [0.9f, 0.8f], [], 0.7, keep));
        Assert.Equal(1, NonMaxSuppression.Apply(boxes, [0.9f, 0.8f], [1, 1], 0.7, keep));
    }

    [Fact]
    public void Rejects_mismatched_lengths()
    {
        BoundingBox[] boxes = [new(0, 0, 1, 1)];
        Assert.Throws<ArgumentException>(() => NonMaxSuppression.Apply(boxes, [0.1f, 0.2f], [], 0.5, new int[1]));
        Assert.Throws<ArgumentException>(() => NonMaxSuppression.Apply(boxes, [0.1f], [0, 1], 0.5, new int[1]));
    }

    [Fact]
    public void Bounding_box_helpers()
    {
        var a = new BoundingBox(0, 0, 4, 2);
        Assert.Equal((4f, 2f, 8f), (a.Width, a.Height, a.Area));
        Assert.Equal(1f, a.IoU(a));
        Assert.Equal(0f, a.IoU(new BoundingBox(5, 5, 6, 6)));
        Assert.Equal(4f / 12f, a.IoU(new BoundingBox(2, 0, 6, 2)));
        Assert.Equal(0f, BoundingBox.IoU(new BoundingBox(1, 1, 1, 1), new BoundingBox(1, 1, 1, 1)));
        Assert.Equal(new BoundingBox(5, 7, 15, 11), BoundingBox.FromCenter(10, 9, 10, 4));
    }
}
