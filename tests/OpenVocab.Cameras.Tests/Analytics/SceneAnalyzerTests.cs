using OpenVocab.Cameras.Analytics;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Events;
using OpenVocab.Detection;

namespace OpenVocab.Cameras.Tests.Analytics;

/// <summary>Scripted scenes whose right answers are known: boxes placed frame by frame with their track ids.</summary>
public class SceneAnalyzerTests
{
    private static readonly TimeSpan Frame = TimeSpan.FromMilliseconds(100);

    /// <summary>A 20x20 box whose bottom-centre anchor is at (x, y).</summary>
    private static DetectedObject At(double x, double y, int? id, string label = "person") =>
        new(new BoundingBox((float)x - 10, (float)y - 20, (float)x + 10, (float)y), 0.9f, 0, label) { TrackId = id };

    // No hysteresis band: these scenes test the polygon's exact boundary (which counts as inside).
    private static readonly ZoneConfig Square = new("square", [new(100, 100), new(200, 100), new(200, 200), new(100, 200)]) { Dwell = TimeSpan.FromMilliseconds(450), Hysteresis = 0 };

    [Fact]
    public void An_object_walking_through_a_zone_enters_dwells_once_and_exits_with_its_dwell_time()
    {
        var analyzer = new SceneAnalyzer([Square], []);
        var log = new List<(int Frame, SceneEvent Event)>();
        // x = 40, 60, ..., 260 at y = 150: inside for x in [100, 200], i.e. frames 3..8.
        for (var i = 0; i < 12; i++)
        {
            foreach (var e in analyzer.Update(i * Frame, [At(40 + (20 * i), 150, id: 7)]))
            {
                log.Add((i, e));
            }
        }

        Assert.Equal(
            [(0, EventKind.Appeared), (3, EventKind.Enter), (8, EventKind.Dwell), (9, EventKind.Exit)],
            log.Select(l => (l.Frame, l.Event.Kind)));
        Assert.All(log, l => Assert.Equal(7, l.Event.TrackId));
        Assert.Equal(TimeSpan.FromMilliseconds(500), log[2].Event.Dwell); // first frame with >= 450 ms inside: frame 8 (entered at 3)
        Assert.Equal(TimeSpan.FromMilliseconds(600), log[3].Event.Dwell);
        Assert.Equal("square", log[3].Event.Zone);
    }

    [Fact]
    public void Occupancy_counts_the_anchors_inside_per_label_tracked_or_not()
    {
        var analyzer = new SceneAnalyzer([Square with { Dwell = null }], []);
        var events = analyzer.Update(TimeSpan.Zero,
        [
            At(150, 150, 1), At(120, 190, 2, "dog"), At(150, 150, null), // three inside, one untracked
            At(150, 250, 3), At(50, 150, 4), // outside: below and left
            At(200, 200, 5), // on the corner: inside
        ]);
        var zone = analyzer.Counts.Zones["square"];
        Assert.Equal(4, zone.Total);
        Assert.Equal(3, zone.ByLabel["person"]);
        Assert.Equal(1, zone.ByLabel["dog"]);
        // Events only for tracked objects: five appeared, three enters (ids 1, 2, 5).
        Assert.Equal(5, events.Count(e => e.Kind == EventKind.Appeared));
        Assert.Equal([1, 2, 5], events.Where(e => e.Kind == EventKind.Enter).Select(e => e.TrackId));
    }

    [Fact]
    public void Jitter_on_a_zone_edge_enters_once_with_hysteresis_and_flickers_without()
    {
        // Walks in from the left to the zone's left edge (x = 100), wobbles +-3 px across it for 40 frames, walks in
        // to x = 150, then out through the same edge, wobbling there too, and away.
        var path = new List<double> { 40, 70 };
        for (var i = 0; i < 40; i++)
        {
            path.Add(i % 2 == 0 ? 103 : 97);
        }

        path.AddRange([120, 150, 120]);
        for (var i = 0; i < 40; i++)
        {
            path.Add(i % 2 == 0 ? 97 : 103);
        }

        path.AddRange([70, 40]);
        List<EventKind> Run(double hysteresis)
        {
            var analyzer = new SceneAnalyzer([Square with { Dwell = null, Hysteresis = hysteresis }], []);
            var kinds = new List<EventKind>();
            for (var i = 0; i < path.Count; i++)
            {
                kinds.AddRange(analyzer.Update(i * Frame, [At(path[i], 150, 1)]).Select(e => e.Kind).Where(k => k is EventKind.Enter or EventKind.Exit));
            }

            return kinds;
        }

        Assert.Equal([EventKind.Enter, EventKind.Exit], Run(4));
        var flicker = Run(0);
        Assert.True(flicker.Count > 30, $"without hysteresis the wobble should enter and exit many times, got {flicker.Count} events");
    }

    [Fact]
    public void Zone_classes_limit_what_a_zone_watches()
    {
        var analyzer = new SceneAnalyzer([Square with { Classes = ["dog"] }], []);
        var events = analyzer.Update(TimeSpan.Zero, [At(150, 150, 1), At(150, 150, 2, "dog")]);
        Assert.Equal([2], events.Where(e => e.Kind == EventKind.Enter).Select(e => e.TrackId));
        Assert.Equal(1, analyzer.Counts.Zones["square"].Total);
    }

    private static readonly LineConfig Gate = new("gate", new PointF(100, 0), new PointF(100, 200)) { Hysteresis = 4 };

    [Fact]
    public void Crossing_a_line_counts_in_one_way_and_out_the_other()
    {
        // The line points down the screen (0 -> 200 in y); its right-hand side, looking along it, is x < 100.
        var analyzer = new SceneAnalyzer([], [Gate]);
        var kinds = new List<EventKind>();
        double[] xs = [60, 80, 95, 110, 130, 150, 120, 90, 70]; // right to left (in), then back (out)
        for (var i = 0; i < xs.Length; i++)
        {
            kinds.AddRange(analyzer.Update(i * Frame, [At(xs[i], 100, 1)]).Select(e => e.Kind).Where(k => k != EventKind.Appeared));
        }

        Assert.Equal([EventKind.CrossOut, EventKind.CrossIn], kinds);
        Assert.Equal(new LineCount(1, 1), analyzer.Counts.Lines["gate"]);
    }

    [Fact]
    public void Jitter_on_the_line_does_not_double_count_with_hysteresis_and_does_without()
    {
        // Arrives from the left (x = 80), then wobbles +-3 px around the line for 40 frames, then leaves to the right.
        var path = new List<double> { 80, 90 };
        for (var i = 0; i < 40; i++)
        {
            path.Add(i % 2 == 0 ? 103 : 97);
        }

        path.AddRange([110, 120]);
        LineCount Run(double hysteresis)
        {
            var analyzer = new SceneAnalyzer([], [Gate with { Hysteresis = hysteresis }]);
            for (var i = 0; i < path.Count; i++)
            {
                analyzer.Update(i * Frame, [At(path[i], 100, 1)]);
            }

            return analyzer.Counts.Lines["gate"];
        }

        Assert.Equal(new LineCount(0, 1), Run(4)); // one crossing, left to right of the screen = out for this line
        var noHysteresis = Run(0);
        Assert.True(noHysteresis.In + noHysteresis.Out > 30, $"without hysteresis the wobble should count many times, got {noHysteresis}");
    }

    [Fact]
    public void Passing_beyond_the_end_of_a_line_is_not_a_crossing()
    {
        var analyzer = new SceneAnalyzer([], [Gate]);
        for (var i = 0; i < 6; i++)
        {
            analyzer.Update(i * Frame, [At(60 + (20 * i), 300, 1)]); // y = 300: below the segment's end at y = 200
        }

        Assert.Equal(default, analyzer.Counts.Lines["gate"]);
    }

    [Fact]
    public void A_track_missing_longer_than_lost_after_is_lost_and_leaves_its_zones_at_its_last_sighting()
    {
        var analyzer = new SceneAnalyzer([Square with { Dwell = null }], [], lostAfterFrames: 3);
        var log = new List<(int Frame, SceneEvent Event)>();
        for (var i = 0; i < 12; i++)
        {
            // Track 1 is seen in frames 0..4 inside the zone; track 2 in frames 0..9 outside, missing for 2 frames at 5..6 (an occlusion).
            var frame = new List<DetectedObject>();
            if (i <= 4)
            {
                frame.Add(At(150, 150, 1));
            }

            if (i <= 9 && i is not (5 or 6))
            {
                frame.Add(At(20, 20, 2));
            }

            log.AddRange(analyzer.Update(i * Frame, frame).Select(e => (i, e)));
        }

        Assert.Equal(
            [(0, EventKind.Appeared, 1), (0, EventKind.Enter, 1), (0, EventKind.Appeared, 2), (8, EventKind.Exit, 1), (8, EventKind.Lost, 1)],
            log.Select(l => (l.Frame, l.Event.Kind, l.Event.TrackId)));
        // Track 1: last seen at frame 4, missing 5, 6, 7 (3 frames), lost at frame 8 when missing for 4 > 3.
        var exit = log.Single(l => l.Event.Kind == EventKind.Exit).Event;
        Assert.Equal(TimeSpan.FromMilliseconds(400), exit.Dwell); // entered at frame 0, last seen at frame 4
        // Track 2 survived its 2-frame occlusion (no second appeared) and is not lost before frame 14.
        Assert.Single(log, l => l.Event.Kind == EventKind.Appeared && l.Event.TrackId == 2);
        Assert.DoesNotContain(log, l => l.Event.Kind == EventKind.Lost && l.Event.TrackId == 2);
        Assert.Equal(1, analyzer.ActiveTracks);
        Assert.Empty(analyzer.Update(12 * Frame, []));
        Assert.Equal(EventKind.Lost, Assert.Single(analyzer.Update(13 * Frame, [])).Kind); // seen last at 9: missing 10..13
    }

    [Fact]
    public void Normalised_shapes_are_scaled_to_the_frame()
    {
        var camera = new CameraConfig("c", "a.mp4")
        {
            Coordinates = CoordinateUnits.Normalized,
            Zones = [new ZoneConfig("left", [new(0, 0), new(0.5, 0), new(0.5, 1), new(0, 1)])],
            Anchor = AnchorPoint.Center,
        };
        var analyzer = SceneAnalyzer.ForCamera(camera, 640, 360);
        analyzer.Update(TimeSpan.Zero, [At(300, 200, 1), At(340, 200, 2)]); // centres at x = 300 (left half) and 340
        Assert.Equal(1, analyzer.Counts.Zones["left"].Total);
    }
}
