using System.Runtime.CompilerServices;
using OpenVocab.Detection;
using OpenVocab.Tracking;

namespace OpenVocab.Tests.Video;

public class TrackerTests
{
    private static DetectedObject Det(string label, float x, float y, float score = 0.9f, float size = 40) =>
        new(new BoundingBox(x, y, x + size, y + size), score, label == "a" ? 0 : 1, label);

    /// <summary>The id the tracker gave <paramref name="d"/>, or null when it kept it untracked; fails when it dropped it.</summary>
    private static int? IdOf(DetectedObject[] kept, DetectedObject d)
    {
        var match = Array.FindIndex(kept, k => k with { TrackId = null } == d);
        Assert.True(match >= 0, $"{d} was dropped");
        return kept[match].TrackId;
    }

    [Fact]
    public void Steady_tracking_allocates_only_the_detections_it_returns()
    {
        // Four objects of two labels, one flickering below the high threshold: every association pass runs each frame.
        var tracker = new ByteTracker();
        DetectedObject[] Frame(int f) =>
        [
            Det("a", 10 + (f * 3), 100), Det("a", 400 - (f * 3), 200),
            Det("b", 50 + f, 300, f % 3 == 0 ? 0.3f : 0.9f), Det("b", 300, 50 + f),
        ];
        var frames = Enumerable.Range(0, 200).Select(Frame).ToArray();
        for (var f = 0; f < 50; f++)
        {
            tracker.Update(frames[f]);
        }

        var returned = new DetectedObject[150][];
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var f = 50; f < 200; f++)
        {
            returned[f - 50] = tracker.Update(frames[f]);
        }

        var perFrame = (GC.GetAllocatedBytesForCurrentThread() - before) / 150.0;
        Assert.All(returned, kept => Assert.Equal(4, kept.Length));
        Assert.All(returned.SelectMany(kept => kept), d => Assert.NotNull(d.TrackId));
        var array = 24 + (4 * Unsafe.SizeOf<DetectedObject>()); // DetectedObject[4]
        Assert.True(perFrame <= array, $"{perFrame:0} bytes a frame, the returned array is {array}");
        Assert.Equal(4, tracker.TracksStarted);
    }

    [Fact]
    public void Two_boxes_crossing_keep_their_ids()
    {
        // Same label, so only motion keeps them apart: A moves right, B moves left, overlapping fully half way.
        var tracker = new ByteTracker();
        var idsOfA = new HashSet<int>();
        var idsOfB = new HashSet<int>();
        var rng = new Random(1);
        for (var f = 0; f < 60; f++)
        {
            float Jitter() => (float)(rng.NextDouble() - 0.5) * 2;
            var a = Det("a", 10 + (f * 5) + Jitter(), 100 + Jitter());
            var b = Det("a", 305 - (f * 5) + Jitter(), 104 + Jitter());
            var kept = tracker.Update([a, b]);
            Assert.Equal(2, kept.Length);
            if (f == 0)
            {
                Assert.NotNull(IdOf(kept, a));
            }

            if (IdOf(kept, a) is { } ia)
            {
                idsOfA.Add(ia);
            }

            if (IdOf(kept, b) is { } ib)
            {
                idsOfB.Add(ib);
            }
        }

        Assert.Single(idsOfA);
        Assert.Single(idsOfB);
        Assert.NotEqual(idsOfA.Single(), idsOfB.Single());
    }

    [Fact]
    public void A_track_survives_missed_frames_and_low_scores()
    {
        var tracker = new ByteTracker(new TrackerOptions { MaxAge = 10 });
        var first = tracker.Update([Det("a", 0, 0)]).Single().TrackId;
        Assert.NotNull(first);
        for (var f = 1; f <= 5; f++)
        {
            Assert.Empty(tracker.Update([]));
        }

        // Found again after 5 missing frames near where its velocity (none) puts it.
        Assert.Equal(first, tracker.Update([Det("a", 2, 1)]).Single().TrackId);

        // A low-score detection (second pass) continues the track, below the caller's confidence (0.25); a low-score one
        // far away starts nothing and is dropped.
        var continued = Det("a", 3, 1, score: 0.2f);
        var kept = tracker.Update([continued, Det("a", 200, 200, score: 0.2f)]);
        Assert.Equal([continued with { TrackId = first }], kept);
        Assert.Single(tracker.Tracks);
    }

    [Fact]
    public void New_tracks_are_confirmed_on_their_second_hit_and_lost_tracks_expire()
    {
        var tracker = new ByteTracker(new TrackerOptions { MaxAge = 3 });
        tracker.Update([Det("a", 0, 0)]);
        var newcomer = Det("a", 100, 100);
        // Tentative on its first frame: kept (it scores above the caller's confidence) but without an id.
        Assert.Null(IdOf(tracker.Update([Det("a", 0, 0), newcomer]), newcomer));
        var second = IdOf(tracker.Update([Det("a", 0, 0), newcomer]), newcomer);
        Assert.NotNull(second);
        for (var f = 0; f < 5; f++)
        {
            tracker.Update([]);
        }

        Assert.Empty(tracker.Tracks);
        // An expired track's id is never reused.
        Assert.Null(tracker.Update([newcomer]).Single().TrackId);
        Assert.True(tracker.Update([newcomer]).Single().TrackId > second);
    }

    [Fact]
    public void Labels_are_tracked_separately()
    {
        var tracker = new ByteTracker();
        var kept = tracker.Update([Det("a", 0, 0), Det("b", 0, 0)]);
        Assert.NotEqual(kept[0].TrackId, kept[1].TrackId);
        var next = tracker.Update([Det("b", 1, 0), Det("a", 1, 0)]);
        // Kept in input order.
        Assert.Equal(["b", "a"], next.Select(d => d.Label));
        Assert.Equal(kept[1].TrackId, next[0].TrackId);
        Assert.Equal(kept[0].TrackId, next[1].TrackId);
    }

    [Fact]
    public void The_tracker_asks_the_detector_for_its_low_threshold_and_gives_back_only_what_the_callers_confidence_or_a_track_keeps()
    {
        var caller = new DetectionOptions { Confidence = 0.4, IoU = 0.6, MaxDetections = 50 };
        var tracker = new ByteTracker(new TrackerOptions { LowThreshold = 0.1 }, caller);
        // Only the confidence changes; the caller's other settings pass through.
        Assert.Equal(caller with { Confidence = 0.1 }, tracker.DetectorOptions);

        var car = Det("a", 0, 0, score: 0.9f);
        var unsure = Det("a", 200, 0, score: 0.45f);   // above the caller's 0.4, below the new-track threshold 0.5
        var faint = Det("a", 400, 0, score: 0.3f);     // below the caller's confidence, no track: dropped
        var kept = tracker.Update([car, unsure, faint]);
        Assert.Equal(2, kept.Length);
        var carId = IdOf(kept, car);
        Assert.NotNull(carId);
        Assert.Null(IdOf(kept, unsure));

        // The car fades to 0.15: below the caller's confidence, yet its track takes it in the second pass, so it stays.
        var fading = Det("a", 1, 0, score: 0.15f);
        kept = tracker.Update([Det("a", 401, 0, score: 0.3f), fading]);
        Assert.Equal([fading with { TrackId = carId }], kept);

        // A caller asking for less than the low threshold gets its own options back; a low threshold of 0 asks for
        // every positive score (DetectionOptions refuses 0 itself).
        var lenient = new DetectionOptions { Confidence = 0.05 };
        Assert.Same(lenient, new ByteTracker(new TrackerOptions(), lenient).DetectorOptions);
        Assert.Equal(1e-6, new ByteTracker(new TrackerOptions { LowThreshold = 0 }).DetectorOptions.Confidence);
        Assert.Equal(DetectionOptions.Default with { Confidence = 0.1 }, new ByteTracker().DetectorOptions);
    }

    [Fact]
    public void Kalman_velocity_follows_constant_motion()
    {
        var filter = new KalmanBoxFilter(new BoundingBox(0, 0, 20, 40));
        for (var f = 1; f <= 30; f++)
        {
            filter.Predict();
            filter.Update(new BoundingBox(3 * f, 2 * f, (3 * f) + 20, (2 * f) + 40));
        }

        Assert.InRange(filter.Velocity.Vx, 2.8, 3.2);
        Assert.InRange(filter.Velocity.Vy, 1.8, 2.2);
        filter.Predict();
        var box = filter.Box;
        Assert.InRange(box.X1, 92, 94);
        Assert.InRange(box.Width, 19, 21);
        Assert.InRange(box.Height, 39, 41);
    }

    [Fact]
    public void Assignment_matches_brute_force()
    {
        var rng = new Random(7);
        var solver = new LinearAssignment(); // reused across trials, as the tracker reuses it across frames
        for (var trial = 0; trial < 200; trial++)
        {
            var rows = rng.Next(1, 5);
            var cols = rng.Next(1, 5);
            var cost = new double[rows, cols];
            for (var i = 0; i < rows; i++)
            {
                for (var j = 0; j < cols; j++)
                {
                    cost[i, j] = rng.NextDouble();
                }
            }

            var result = new int[rows];
            solver.Solve([.. cost.Cast<double>()], rows, cols, 2.0, result);
            Assert.Equal(Math.Min(rows, cols), result.Count(c => c >= 0));
            Assert.Equal(result.Where(c => c >= 0).Distinct().Count(), result.Count(c => c >= 0));
            var total = Enumerable.Range(0, rows).Where(i => result[i] >= 0).Sum(i => cost[i, result[i]]);
            Assert.Equal(BruteForce(cost, 0, new bool[cols], Math.Min(rows, cols)), total, 9);
        }
    }

    private static double BruteForce(double[,] cost, int row, bool[] used, int needed)
    {
        if (needed == 0)
        {
            return 0;
        }

        if (row == cost.GetLength(0))
        {
            return double.PositiveInfinity;
        }

        var best = BruteForce(cost, row + 1, used, needed); // leave this row out
        for (var j = 0; j < used.Length; j++)
        {
            if (!used[j])
            {
                used[j] = true;
                best = Math.Min(best, cost[row, j] + BruteForce(cost, row + 1, used, needed - 1));
                used[j] = false;
            }
        }

        return best;
    }
}
