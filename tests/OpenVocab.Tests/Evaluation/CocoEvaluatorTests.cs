using System.Text;
using OpenVocab.Detection;
using OpenVocab.Evaluation;

namespace OpenVocab.Tests.Evaluation;

public class CocoEvaluatorTests
{
    private static CocoGroundTruth Gt(long img, int cat, double x, double y, double w, double h, bool crowd = false) =>
        new(img, cat, new CocoBox(x, y, w, h), crowd);

    private static CocoDetection Dt(long img, int cat, double x, double y, double w, double h, double score) =>
        new(img, cat, new CocoBox(x, y, w, h), score);

    // Precision is tp / (tp + fp + eps) as in pycocotools, so a perfect AP is 1 - 2e-16: values compare to 12 places.
    [Fact]
    public void Perfect_detections_score_one()
    {
        CocoGroundTruth[] gts = [Gt(1, 1, 0, 0, 10, 10), Gt(1, 2, 20, 20, 5, 5), Gt(2, 1, 3, 3, 30, 40)];
        var ev = new CocoEvaluator([1, 2], [1, 2], gts);
        var m = ev.Evaluate(gts.Select(g => new CocoDetection(g.ImageId, g.CategoryId, g.Box, 0.9)));
        Assert.Equal(1.0, m.MAP50, 12);
        Assert.Equal(1.0, m.MAP50To95, 12);
        Assert.Equal(1.0, m.MeanRecall, 12);
        Assert.Equal(2, m[1].GroundTruthCount);
    }

    [Fact]
    public void A_false_positive_ranked_between_two_true_positives()
    {
        // Ranks: TP, FP, TP over 2 objects. Recall 0.5, 0.5, 1; precision 1, 0.5, 2/3 -> envelope 1, 2/3, 2/3.
        // Recall thresholds 0.00..0.50 (51 points) read 1, 0.51..1.00 (50 points) read 2/3.
        var ev = new CocoEvaluator([1], [1], [Gt(1, 1, 0, 0, 10, 10), Gt(1, 1, 50, 50, 10, 10)]);
        var m = ev.Evaluate([Dt(1, 1, 0, 0, 10, 10, 0.9), Dt(1, 1, 100, 100, 10, 10, 0.8), Dt(1, 1, 50, 50, 10, 10, 0.7)]);
        double expected = (51 + (50 * (2.0 / 3.0))) / 101;
        Assert.Equal(expected, m.MAP50, 12);
        Assert.Equal(expected, m.MAP50To95, 12);
    }

    [Fact]
    public void A_single_false_positive_above_the_true_positive_halves_ap()
    {
        var ev = new CocoEvaluator([1], [1], [Gt(1, 1, 0, 0, 10, 10)]);
        var m = ev.Evaluate([Dt(1, 1, 100, 100, 10, 10, 0.9), Dt(1, 1, 0, 0, 10, 10, 0.8)]);
        Assert.Equal(0.5, m.MAP50, 12);
    }

    [Fact]
    public void Iou_0_58_counts_at_0_50_and_0_55_only()
    {
        var ev = new CocoEvaluator([1], [1], [Gt(1, 1, 0, 0, 10, 10)]);
        var m = ev.Evaluate([Dt(1, 1, 0, 0, 10, 5.8, 0.9)]);
        Assert.Equal(1.0, m.MAP50, 12);
        Assert.Equal(2.0 / 10, m.MAP50To95, 12);
        Assert.Equal([1.0, 1.0, 0, 0, 0, 0, 0, 0, 0, 0], m[1].APByThreshold.Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void Iou_equal_to_a_threshold_matches_at_it()
    {
        // IoU is exactly 0.6 and so is the third threshold (0.5 + 2 * 0.45 / 9 in double): pycocotools matches on >=.
        var ev = new CocoEvaluator([1], [1], [Gt(1, 1, 0, 0, 10, 10)]);
        var m = ev.Evaluate([Dt(1, 1, 0, 0, 10, 6, 0.9)]);
        Assert.Equal(0.6, CocoEvaluator.IouThresholds[2]);
        Assert.Equal(3.0 / 10, m.MAP50To95, 12);
    }

    [Fact]
    public void Categories_without_ground_truth_are_minus_one_and_left_out_of_means()
    {
        var ev = new CocoEvaluator([1], [1, 2, 3], [Gt(1, 1, 0, 0, 10, 10), Gt(1, 2, 0, 0, 10, 10)]);
        var m = ev.Evaluate([Dt(1, 1, 0, 0, 10, 10, 0.9), Dt(1, 3, 0, 0, 10, 10, 0.9), Dt(1, 7, 0, 0, 10, 10, 0.9)]);
        Assert.Equal(-1, m[3].AP50, 12);
        Assert.Equal(-1, m[3].AP50To95, 12);
        Assert.False(m[3].IsValid);
        Assert.Equal(1, m[3].DetectionCount);
        Assert.Equal(0, m[2].AP50, 12);
        Assert.Equal(0.5, m.MAP50, 12);
        Assert.Equal(1.0, m.MeanAP50([1, 3]), 12);
        Assert.Equal(-1, m.MeanAP50To95([3]), 12);
        Assert.Throws<KeyNotFoundException>(() => m[7]);
    }

    [Fact]
    public void Images_without_ground_truth_still_count_false_positives()
    {
        var ev = new CocoEvaluator([1, 2], [1], [Gt(1, 1, 0, 0, 10, 10)]);
        var m = ev.Evaluate([Dt(2, 1, 0, 0, 10, 10, 0.95), Dt(1, 1, 0, 0, 10, 10, 0.9)]);
        Assert.Equal(0.5, m.MAP50, 12);
        Assert.Throws<ArgumentException>(() => ev.Evaluate([Dt(3, 1, 0, 0, 10, 10, 0.9)]));
    }

    [Fact]
    public void Detections_in_a_crowd_region_are_ignored_not_false_positives()
    {
        // Crowd IoU is intersection over the detection's area: a small box inside the crowd matches it fully.
        CocoGroundTruth[] gts = [Gt(1, 1, 0, 0, 10, 10), Gt(1, 1, 100, 100, 100, 100, crowd: true)];
        CocoDetection[] dts = [Dt(1, 1, 110, 110, 10, 10, 0.95), Dt(1, 1, 120, 120, 10, 10, 0.94), Dt(1, 1, 0, 0, 10, 10, 0.9)];
        var m = new CocoEvaluator([1], [1], gts).Evaluate(dts);
        Assert.Equal(1.0, m.MAP50To95, 12);
        Assert.Equal(1, m[1].GroundTruthCount);

        var notCrowd = new CocoEvaluator([1], [1], [gts[0], gts[1] with { IsCrowd = false }]).Evaluate(dts);
        Assert.True(notCrowd.MAP50 < 0.6);
    }

    [Fact]
    public void Only_the_top_max_detections_per_image_count()
    {
        // 100 false positives outrank the true positive, which is then cut at maxDets = 100.
        var dts = Enumerable.Range(0, 100).Select(i => Dt(1, 1, 1000 + (i * 20), 0, 10, 10, 0.9)).Append(Dt(1, 1, 0, 0, 10, 10, 0.1)).ToList();
        var ev = new CocoEvaluator([1], [1], [Gt(1, 1, 0, 0, 10, 10)]);
        Assert.Equal(0, ev.Evaluate(dts).MAP50);
        Assert.True(new CocoEvaluator([1], [1], [Gt(1, 1, 0, 0, 10, 10)], maxDetections: 101).Evaluate(dts).MAP50 > 0);
    }

    [Fact]
    public void Held_out_subset_means_use_the_loaded_flags()
    {
        const string json = """
            {
              "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}, {"id": 2, "file_name": "b.png", "width": 64, "height": 48}],
              "categories": [{"id": 1, "name": "red circle", "heldout": false},
                             {"id": 2, "name": "blue star", "heldout": true, "colour": "blue"},
                             {"id": 5, "name": "green square", "supercategory": "shape"}],
              "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 10, 10], "area": 100, "iscrowd": 0},
                              {"id": 2, "image_id": 2, "category_id": 2, "bbox": [5, 5, 20, 10], "area": 200, "iscrowd": 0},
                              {"id": 3, "image_id": 2, "category_id": 5, "bbox": [30, 5, 20, 10], "area": 200}]
            }
            """;
        var ds = CocoDataset.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(2, ds.Images.Count);
        Assert.Equal(("b.png", 64, 48), (ds.Images[1].FileName, ds.Images[1].Width, ds.Images[1].Height));
        Assert.Equal([false, true, false], ds.Categories.Select(c => c.IsHeldOut));
        Assert.Equal("blue", ds.Categories[1].Extra["colour"].GetString());
        Assert.Equal("shape", ds.Categories[2].Supercategory);
        Assert.Equal(new CocoBox(5, 5, 20, 10), ds.Annotations[1].Box);
        Assert.Equal(3, ds.Annotations[2].Id);

        var dets = new[]
        {
            Dt(1, 1, 1, 2, 10, 10, 0.9),      // seen: perfect
            Dt(2, 2, 100, 100, 10, 10, 0.9), // held out: missed
            Dt(2, 5, 30, 5, 20, 10, 0.8),     // seen: perfect
        };
        var m = CocoEvaluator.Evaluate(ds, dets);
        var heldOut = ds.Categories.Where(c => c.IsHeldOut).Select(c => c.Id);
        var seen = ds.Categories.Where(c => !c.IsHeldOut).Select(c => c.Id);
        Assert.Equal(1.0, m.MeanAP50To95(seen), 12);
        Assert.Equal(0.0, m.MeanAP50To95(heldOut), 12);
        Assert.Equal(2.0 / 3, m.MAP50To95, 12);
    }

    [Fact]
    public void Loader_names_the_source_on_bad_json()
    {
        var e = Assert.Throws<InvalidDataException>(() => CocoDataset.Load(new MemoryStream("{\"images\": []}"u8.ToArray()), "x.json"));
        Assert.Contains("x.json", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => CocoDataset.Load(new MemoryStream("{"u8.ToArray()), "y.json"));
    }

    [Fact]
    public void Detections_round_trip_through_results_json()
    {
        var dets = new[] { Dt(1, 2, 1.5, 2.25, 3, 4, 0.75), Dt(9, 1, 0, 0, 1, 1, 0.1) };
        string path = Path.GetTempFileName();
        try
        {
            using (var f = File.Create(path))
            {
                CocoDataset.WriteDetections(f, dets);
            }

            Assert.Equal(dets, CocoDataset.LoadDetections(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Coco_box_converts_from_corners()
    {
        var b = CocoBox.FromBoundingBox(new BoundingBox(1, 2, 4, 8));
        Assert.Equal(new CocoBox(1, 2, 3, 6), b);
        Assert.Equal(18, b.Area);
        Assert.Equal(new BoundingBox(1, 2, 4, 8), b.ToBoundingBox());
    }

    [Fact]
    public void Matches_a_reference_written_from_the_definitions_on_random_data()
    {
        for (int seed = 0; seed < 60; seed++)
        {
            var rng = new Random(seed);
            int images = rng.Next(1, 8), categories = rng.Next(1, 5);
            var gts = new List<CocoGroundTruth>();
            var dts = new List<CocoDetection>();
            for (int img = 1; img <= images; img++)
            {
                for (int k = rng.Next(0, 8); k > 0; k--)
                {
                    var g = Gt(img, rng.Next(1, categories + 1), rng.Next(0, 80), rng.Next(0, 80), rng.Next(5, 40), rng.Next(5, 40), crowd: rng.Next(10) == 0);
                    gts.Add(g);
                    // Jittered copies give a spread of IoUs, plus duplicates and wrong-class copies.
                    for (int c = rng.Next(0, 3); c > 0; c--)
                    {
                        var b = g.Box;
                        dts.Add(Dt(img, rng.Next(4) == 0 ? rng.Next(1, categories + 2) : g.CategoryId,
                            b.X + (rng.NextDouble() * 8) - 4, b.Y + (rng.NextDouble() * 8) - 4,
                            b.Width * (0.7 + (rng.NextDouble() * 0.6)), b.Height * (0.7 + (rng.NextDouble() * 0.6)),
                            rng.Next(1, 30) / 30.0));
                    }
                }

                for (int k = rng.Next(0, 4); k > 0; k--)
                {
                    dts.Add(Dt(img, rng.Next(1, categories + 1), rng.Next(0, 100), rng.Next(0, 100), rng.Next(5, 40), rng.Next(5, 40), rng.Next(1, 30) / 30.0));
                }
            }

            int maxDets = rng.Next(1, 6);
            var imageIds = Enumerable.Range(1, images).Select(i => (long)i).ToArray();
            var categoryIds = Enumerable.Range(1, categories).ToArray();
            var m = new CocoEvaluator(imageIds, categoryIds, gts, maxDets).Evaluate(dts);
            foreach (int cat in categoryIds)
            {
                var (ap, recall) = ReferenceAp(imageIds, cat, gts, dts, maxDets);
                var got = m[cat];
                for (int t = 0; t < 10; t++)
                {
                    Assert.Equal(ap[t], got.APByThreshold[t], 12);
                }

                Assert.Equal(recall, got.Recall, 12);
            }
        }
    }

    /// <summary>
    /// pycocotools' COCOeval for one category, written out plainly: per-image greedy matching, then precision at
    /// each recall threshold as the best precision at any rank whose recall reaches it.
    /// </summary>
    private static (double[] Ap, double Recall) ReferenceAp(long[] imageIds, int cat, List<CocoGroundTruth> allGts, List<CocoDetection> allDts, int maxDets)
    {
        var thresholds = Enumerable.Range(0, 10).Select(i => i == 9 ? 0.95 : 0.5 + (i * ((0.95 - 0.5) / 9))).ToArray();
        var ranked = new List<(double Score, bool[] Tp, bool[] Ignored)>();
        int positives = allGts.Count(g => g.CategoryId == cat && !g.IsCrowd);
        foreach (long img in imageIds)
        {
            var gts = allGts.Where(g => g.ImageId == img && g.CategoryId == cat).OrderBy(g => g.IsCrowd ? 1 : 0).ToList();
            var dts = allDts.Where(d => d.ImageId == img && d.CategoryId == cat).OrderByDescending(d => d.Score).Take(maxDets).ToList();
            var tp = dts.Select(_ => new bool[10]).ToList();
            var ign = dts.Select(_ => new bool[10]).ToList();
            for (int t = 0; t < 10; t++)
            {
                var taken = new HashSet<int>();
                for (int d = 0; d < dts.Count; d++)
                {
                    int match = -1;
                    double bestIou = Math.Min(thresholds[t], 1 - 1e-10);
                    for (int g = 0; g < gts.Count; g++)
                    {
                        if (taken.Contains(g) && !gts[g].IsCrowd)
                        {
                            continue;
                        }

                        if (match >= 0 && !gts[match].IsCrowd && gts[g].IsCrowd)
                        {
                            break;
                        }

                        double iou = BoxIou(dts[d].Box, gts[g].Box, gts[g].IsCrowd);
                        if (iou >= bestIou)
                        {
                            bestIou = iou;
                            match = g;
                        }
                    }

                    if (match >= 0)
                    {
                        taken.Add(match);
                        tp[d][t] = !gts[match].IsCrowd;
                        ign[d][t] = gts[match].IsCrowd;
                    }
                }
            }

            for (int d = 0; d < dts.Count; d++)
            {
                ranked.Add((dts[d].Score, tp[d], ign[d]));
            }
        }

        ranked = [.. ranked.OrderByDescending(r => r.Score)];
        var ap = new double[10];
        double recallSum = 0;
        if (positives == 0)
        {
            return (Enumerable.Repeat(-1.0, 10).ToArray(), -1);
        }

        for (int t = 0; t < 10; t++)
        {
            var points = new List<(double Recall, double Precision)>();
            int tps = 0, fps = 0;
            foreach (var r in ranked)
            {
                if (!r.Ignored[t])
                {
                    if (r.Tp[t])
                    {
                        tps++;
                    }
                    else
                    {
                        fps++;
                    }
                }

                points.Add(((double)tps / positives, tps / (tps + fps + Math.BitIncrement(1.0) - 1.0)));
            }

            recallSum += points.Count > 0 ? points[^1].Recall : 0;
            double sum = 0;
            for (int ri = 0; ri <= 100; ri++)
            {
                double rt = ri == 100 ? 1.0 : ri * 0.01;
                var reach = points.Where(p => p.Recall >= rt).Select(p => p.Precision).ToList();
                sum += reach.Count > 0 ? reach.Max() : 0;
            }

            ap[t] = sum / 101;
        }

        return (ap, recallSum / 10);
    }

    private static double BoxIou(CocoBox d, CocoBox g, bool crowd)
    {
        double ix = Math.Max(0, Math.Min(d.X + d.Width, g.X + g.Width) - Math.Max(d.X, g.X));
        double iy = Math.Max(0, Math.Min(d.Y + d.Height, g.Y + g.Height) - Math.Max(d.Y, g.Y));
        double inter = ix * iy;
        return inter <= 0 ? 0 : inter / (crowd ? d.Width * d.Height : (d.Width * d.Height) + (g.Width * g.Height) - inter);
    }
}
