using OpenVocab.Detection;
using OpenVocab.Tracking;

namespace OpenVocab.Tests.Video;

public class TrackerTests
{
    private static DetectedObject Det(string label, float x, float y, float score = 0.9f, float size = 40) =>
        new(new BoundingBox(x, y, x + size, y + size), score, label == "a" ? 0 : 1, label);

    [Fact]
    public void Steady_tracking_allocates_only_the_ids_it_returns()
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

        var returned = new int?[150][];
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var f = 50; f < 200; f++)
        {
            returned[f - 50] = tracker.Update(frames[f]);
        }

        var perFrame = (GC.GetAllocatedBytesForCurrentThread() - before) / 150.0;
        Assert.All(returned.SelectMany(ids => ids), id => Assert.NotNull(id));
        var idsArray = 24 + (4 * 8); // int?[4]
        Assert.True(perFrame <= idsArray, $"{perFrame:0} bytes a frame, the ids array is {idsArray}");
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
            var ids = tracker.Update([a, b]);
            if (f == 0)
            {
                Assert.NotNull(ids[0]);
            }

            if (ids[0] is { } ia)
            {
                idsOfA.Add(ia);
            }

            if (ids[1] is { } ib)
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
        var first = tracker.Update([Det("a", 0, 0)])[0];
        Assert.NotNull(first);
        for (var f = 1; f <= 5; f++)
        {
            Assert.Empty(tracker.Update([]));
        }

        // Found again after 5 missing frames near where its velocity (none) puts it.
        Assert.Equal(first, tracker.Update([Det("a", 2, 1)])[0]);

        // A low-score detection (second pass) continues the track; a low-score one far away starts nothing.
        var ids = tracker.Update([Det("a", 3, 1, score: 0.2f), Det("a", 200, 200, score: 0.2f)]);
        Assert.Equal(first, ids[0]);
        Assert.Null(ids[1]);
        Assert.Single(tracker.Tracks);
    }

    [Fact]
    public void New_tracks_are_confirmed_on_their_second_hit_and_lost_tracks_expire()
    {
        var tracker = new ByteTracker(new TrackerOptions { MaxAge = 3 });
        tracker.Update([Det("a", 0, 0)]);
        Assert.Null(tracker.Update([Det("a", 0, 0), Det("a", 100, 100)])[1]);
        var second = tracker.Update([Det("a", 0, 0), Det("a", 100, 100)])[1];
        Assert.NotNull(second);
        for (var f = 0; f < 5; f++)
        {
            tracker.Update([]);
        }

        Assert.Empty(tracker.Tracks);
        // An expired track's id is never reused.
        var again = tracker.Update([Det("a", 100, 100)]);
        Assert.Null(again[0]);
        Assert.True(tracker.Update([Det("a", 100, 100)])[0] > second);
    }

    [Fact]
    public void Labels_are_tracked_separately()
    {
        var tracker = new ByteTracker();
        var ids = tracker.Update([Det("a", 0, 0), Det("b", 0, 0)]);
        Assert.NotEqual(ids[0], ids[1]);
        var next = tracker.Update([Det("b", 1, 0), Det("a", 1, 0)]);
        Assert.Equal(ids[1], next[0]);
        Assert.Equal(ids[0], next[1]);
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
