using OpenVocab.Detection;
using OpenVocab.Imaging;

namespace OpenVocab.Tests.Detection;

// The result type shares its name with its namespace, so code inside OpenVocab.* namespaces needs an alias.

public class YoloOutputDecoderTests
{
    /// <summary>Builds a channel-major [4 + N, A] output from per-anchor rows (cx, cy, w, h, scores...).</summary>
    private static float[] Output(int classes, params float[][] anchors)
    {
        int a = anchors.Length;
        var o = new float[(4 + classes) * a];
        for (int i = 0; i < a; i++)
        {
            Assert.Equal(4 + classes, anchors[i].Length);
            for (int r = 0; r < 4 + classes; r++)
            {
                o[(r * a) + i] = anchors[i][r];
            }
        }

        return o;
    }

    private static readonly string[] Labels = ["cat", "dog", "pad"];

    [Fact]
    public void Padded_columns_never_reach_results()
    {
        var o = Output(3,
            [50, 50, 20, 20, 0.30f, 0.10f, 0.99f], // padded column highest: best real class is 0
            [150, 50, 20, 20, 0.10f, 0.20f, 0.99f]); // only the padded column passes: dropped
        var r = new List<DetectedObject>();
        int n = new YoloOutputDecoder().Decode(o, 3, 2, Labels, DetectionOptions.Default, r);
        Assert.Equal(1, n);
        Assert.Equal(new DetectedObject(new BoundingBox(40, 40, 60, 60), 0.30f, 0, "cat"), r[0]);
    }

    [Fact]
    public void Confidence_is_strictly_greater_than_in_single_precision()
    {
        float above = MathF.BitIncrement(0.25f);
        var o = Output(1,
            [10, 10, 4, 4, 0.25f],
            [100, 100, 4, 4, above],
            [200, 200, 4, 4, 0.2499f]);
        var r = new YoloOutputDecoder().Decode(o, 1, 1, Labels, DetectionOptions.Default, LetterboxTransform.Compute(320, 320, 320, 320));
        Assert.Single(r);
        Assert.Equal(above, r[0].Score);

        // Confidence 1 keeps nothing with sigmoid scores.
        Assert.Empty(new YoloOutputDecoder().Decode(Output(1, [10, 10, 4, 4, 1f]), 1, 1, Labels,
            new DetectionOptions { Confidence = 1 }, LetterboxTransform.Compute(320, 320, 320, 320)));
    }

    [Fact]
    public void Confidence_zero_keeps_every_box_with_a_positive_score()
    {
        // Three separate boxes: a tiny score, the smallest positive float, and an exact 0 (which is not greater than 0).
        var o = Output(1,
            [10, 10, 4, 4, 1e-6f],
            [100, 100, 4, 4, float.Epsilon],
            [200, 200, 4, 4, 0f]);
        var r = new YoloOutputDecoder().Decode(o, 1, 1, Labels, new DetectionOptions { Confidence = 0 }, LetterboxTransform.Compute(320, 320, 320, 320));
        Assert.Equal([1e-6f, float.Epsilon], r.Select(d => d.Score));
    }

    [Fact]
    public void Class_filter_applies_after_the_best_class_is_chosen()
    {
        var o = Output(2,
            [10, 10, 4, 4, 0.6f, 0.9f],  // best is dog: filtered out, not relabelled as cat
            [100, 100, 4, 4, 0.7f, 0.3f]);
        var r = new List<DetectedObject>();
        new YoloOutputDecoder().Decode(o, 2, 2, Labels, new DetectionOptions { ClassFilter = new HashSet<int> { 0 } }, r);
        Assert.Single(r);
        Assert.Equal((0, 0.7f), (r[0].ClassIndex, r[0].Score));
    }

    [Fact]
    public void Ties_between_classes_go_to_the_lower_index()
    {
        var r = new List<DetectedObject>();
        new YoloOutputDecoder().Decode(Output(2, [10, 10, 4, 4, 0.5f, 0.5f]), 2, 2, Labels, DetectionOptions.Default, r);
        Assert.Equal(0, Assert.Single(r).ClassIndex);
    }

    [Fact]
    public void Max_detections_keeps_the_highest_scores_in_order()
    {
        var o = Output(1,
            [10, 10, 4, 4, 0.5f],
            [30, 10, 4, 4, 0.9f],
            [50, 10, 4, 4, 0.7f],
            [70, 10, 4, 4, 0.8f]);
        var r = new List<DetectedObject>();
        new YoloOutputDecoder().Decode(o, 1, 1, Labels, new DetectionOptions { MaxDetections = 2 }, r);
        Assert.Equal([0.9f, 0.8f], r.Select(d => d.Score));
    }

    [Fact]
    public void Max_candidates_cuts_before_nms()
    {
        // The top box is suppressed-free; with MaxCandidates 1 the other distant box never enters NMS.
        var o = Output(1, [10, 10, 4, 4, 0.9f], [100, 10, 4, 4, 0.8f]);
        var r = new List<DetectedObject>();
        new YoloOutputDecoder().Decode(o, 1, 1, Labels, new DetectionOptions { MaxCandidates = 1 }, r);
        Assert.Single(r);
    }

    [Fact]
    public void Per_class_and_agnostic_nms()
    {
        var o = Output(2,
            [50, 50, 20, 20, 0.9f, 0.1f],
            [51, 50, 20, 20, 0.1f, 0.8f],
            [52, 50, 20, 20, 0.7f, 0.1f]);
        var r = new List<DetectedObject>();
        var dec = new YoloOutputDecoder();
        dec.Decode(o, 2, 2, Labels, DetectionOptions.Default, r);
        Assert.Equal([(0, 0.9f), (1, 0.8f)], r.Select(d => (d.ClassIndex, d.Score)));
        r.Clear();
        dec.Decode(o, 2, 2, Labels, new DetectionOptions { Agnostic = true }, r);
        Assert.Equal([(0, 0.9f)], r.Select(d => (d.ClassIndex, d.Score)));
    }

    [Fact]
    public void Boxes_are_mapped_back_through_the_letterbox()
    {
        // 640x360 into 640x640: pad top 140, gain 1. A 1280x720 source: gain 0.5, pad top 140.
        var o = Output(1, [320, 320, 100, 40, 0.9f], [5, 150, 40, 40, 0.8f]);
        var t = LetterboxTransform.Compute(1280, 720, 640, 640);
        var r = new YoloOutputDecoder().Decode(o, 1, 1, Labels, DetectionOptions.Default, t);
        Assert.Equal(new BoundingBox(540, 320, 740, 400), r[0].Box);
        Assert.Equal(new BoundingBox(0, 0, 50, 60), r[1].Box); // (-15, 130, 25, 170) -> clipped
    }

    [Fact]
    public void Rejects_bad_shapes_and_labels()
    {
        var dec = new YoloOutputDecoder();
        var r = new List<DetectedObject>();
        Assert.Throws<ArgumentException>(() => dec.Decode(new float[11], 2, 2, Labels, DetectionOptions.Default, r));
        Assert.Throws<ArgumentOutOfRangeException>(() => dec.Decode(new float[12], 2, 3, Labels, DetectionOptions.Default, r));
        Assert.Throws<ArgumentException>(() => dec.Decode(new float[12], 2, 2, ["one"], DetectionOptions.Default, r));
        Assert.Equal(0, dec.Decode(new float[12], 2, 0, [], DetectionOptions.Default, r));
    }

    [Fact]
    public void Options_validate_with_names_and_ranges()
    {
        Assert.Equal(0, new DetectionOptions { Confidence = 0 }.Confidence);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions { Confidence = -0.01 });
        Assert.Equal("Confidence", e.ParamName);
        Assert.Contains("[0, 1]", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions { Confidence = 1.01 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions { Confidence = double.NaN });
        Assert.Equal("IoU", Assert.Throws<ArgumentOutOfRangeException>(() => DetectionOptions.Default with { IoU = -0.1 }).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions { IoU = 1.5 });
        Assert.Equal("MaxDetections", Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions { MaxDetections = 0 }).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions { MaxCandidates = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions { ClassFilter = new HashSet<int> { -1 } });
        var d = DetectionOptions.Default;
        Assert.Equal((0.25, 0.7, 300, 30000, false, (IReadOnlySet<int>?)null), (d.Confidence, d.IoU, d.MaxDetections, d.MaxCandidates, d.Agnostic, d.ClassFilter));
        var set = new HashSet<int> { 1 };
        var f = new DetectionOptions { ClassFilter = set };
        set.Add(2);
        Assert.False(f.ClassFilter!.Contains(2));
    }

    /// <summary>The whole pipeline written naively, anchor by anchor, against the decoder on random outputs.</summary>
    [Fact]
    public void Matches_a_naive_pipeline_on_random_outputs()
    {
        var dec = new YoloOutputDecoder();
        for (int seed = 0; seed < 200; seed++)
        {
            var rng = new Random(seed);
            int classes = rng.Next(1, 9), valid = rng.Next(1, classes + 1), anchors = rng.Next(1, 300);
            var o = new float[(4 + classes) * anchors];
            for (int a = 0; a < anchors; a++)
            {
                o[a] = (float)(rng.NextDouble() * 320);
                o[anchors + a] = (float)(rng.NextDouble() * 320);
                o[(2 * anchors) + a] = (float)(rng.NextDouble() * 100);
                o[(3 * anchors) + a] = (float)(rng.NextDouble() * 100);
                for (int c = 0; c < classes; c++)
                {
                    o[((4 + c) * anchors) + a] = rng.Next(0, 20) / 16f; // ties in score and across classes
                }
            }

            var options = new DetectionOptions
            {
                Confidence = 0.05 + (rng.NextDouble() * 0.5),
                IoU = rng.NextDouble(),
                MaxDetections = rng.Next(1, 50),
                MaxCandidates = rng.Next(1, 400),
                Agnostic = rng.Next(2) == 0,
                ClassFilter = rng.Next(3) == 0 ? new HashSet<int> { 0, classes - 1 } : null,
            };
            var labels = Enumerable.Range(0, classes).Select(i => $"c{i}").ToArray();
            var t = LetterboxTransform.Compute(rng.Next(50, 900), rng.Next(50, 900), 320, 320);

            // Naive: best class per anchor, filters, stable sort, cut, brute-force NMS, cap, map.
            var cand = new List<(int Anchor, float Score, int Class, BoundingBox Box)>();
            for (int a = 0; a < anchors; a++)
            {
                int best = 0;
                for (int c = 1; c < valid; c++)
                {
                    if (o[((4 + c) * anchors) + a] > o[((4 + best) * anchors) + a])
                    {
                        best = c;
                    }
                }

                float s = o[((4 + best) * anchors) + a];
                if (s > (float)options.Confidence && (options.ClassFilter is null || options.ClassFilter.Contains(best)))
                {
                    cand.Add((a, s, best, BoundingBox.FromCenter(o[a], o[anchors + a], o[(2 * anchors) + a], o[(3 * anchors) + a])));
                }
            }

            cand = [.. cand.OrderByDescending(c => c.Score).Take(options.MaxCandidates)];
            var kept = NonMaxSuppressionTests.Reference(
                cand.Select(c => c.Box).ToArray(), cand.Select(c => c.Score).ToArray(),
                options.Agnostic ? null : cand.Select(c => c.Class).ToArray(), options.IoU);
            var expected = kept.Take(options.MaxDetections)
                .Select(k => new DetectedObject(t.MapToSource(cand[k].Box), cand[k].Score, cand[k].Class, labels[cand[k].Class]))
                .ToList();

            var actual = new List<DetectedObject>();
            int n = dec.Decode(o, classes, valid, labels, options, t, actual);
            Assert.Equal(expected.Count, n);
            Assert.Equal(expected, actual);
            Assert.Equal(expected, dec.Decode(o, classes, valid, labels, options, t));
        }
    }

    [Fact]
    public void Steady_state_decoding_allocates_nothing_but_results()
    {
        var rng = new Random(1);
        int classes = 80, anchors = 8400;
        var o = new float[(4 + classes) * anchors];
        for (int i = 0; i < o.Length; i++)
        {
            o[i] = i < 4 * anchors ? (float)(rng.NextDouble() * 640) : (float)Math.Pow(rng.NextDouble(), 8);
        }

        var labels = Enumerable.Range(0, classes).Select(i => $"c{i}").ToArray();
        var t = LetterboxTransform.Compute(1280, 720, 640, 640);
        var dec = new YoloOutputDecoder();
        var results = new List<DetectedObject>(400);
        var options = DetectionOptions.Default;
        dec.Decode(o, classes, classes, labels, options, t, results);
        Assert.NotEmpty(results);
        results.Clear();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            results.Clear();
            dec.Decode(o, classes, classes, labels, options, t, results);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Concurrent_calls_on_one_decoder_agree()
    {
        var rng = new Random(5);
        int classes = 3, anchors = 500;
        var o = new float[(4 + classes) * anchors];
        for (int i = 0; i < o.Length; i++)
        {
            o[i] = i < 4 * anchors ? (float)(rng.NextDouble() * 320) : (float)rng.NextDouble();
        }

        var dec = new YoloOutputDecoder();
        var t = LetterboxTransform.Compute(320, 320, 320, 320);
        var expected = dec.Decode(o, classes, classes, Labels, DetectionOptions.Default, t);
        Parallel.For(0, 200, _ => Assert.Equal(expected, dec.Decode(o, classes, classes, Labels, DetectionOptions.Default, t)));
    }
}
