using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Events;
using OpenVocab.Detection;

namespace OpenVocab.Cameras.Analytics;

/// <summary>
/// Turns tracked detections, frame after frame, into events (appeared, lost, zone enter/exit/dwell, line crossings)
/// and counts (zone occupancy, line totals), as supervision's PolygonZone and LineZone do, with per-track state.
/// Zones and lines test one anchor point per box. Not thread-safe: feed one camera's frames in order.
/// </summary>
/// <remarks>
/// Events need track ids (<see cref="DetectedObject.TrackId"/>): untracked detections only count towards occupancy.
/// A track missing from a frame keeps its zones (an occluded object is still there) until it has been missing for
/// more than the lost-after frame count: then it is lost, and leaves the zones it was in.
/// Line crossings use hysteresis: the anchor must get further than the line's hysteresis distance from the line to
/// be on a side, and a crossing is one change of confirmed side while within the segment's extent, so an anchor
/// jittering on the line counts nothing. Zones have the same band along their edges: a track enters once its anchor is
/// the zone's hysteresis distance inside (or deeper) and exits once it is that far outside, so an anchor wobbling on an
/// edge gives one enter, not an enter and exit per frame. Occupancy counts the anchors inside the polygon, band or not.
/// </remarks>
public sealed class SceneAnalyzer
{
    private readonly Zone[] _zones;
    private readonly Line[] _lines;
    private readonly AnchorPoint _anchor;
    private readonly int _lostAfter;
    private readonly Dictionary<int, TrackState> _tracks = [];
    private readonly List<int> _gone = [];
    private long _frame;
    private SceneCounts _counts;

    /// <summary>Creates an analyzer over shapes in pixels.</summary>
    /// <param name="zones">Zones with points in pixels.</param>
    /// <param name="lines">Lines with points in pixels.</param>
    /// <param name="anchor">The point of each box that is tested.</param>
    /// <param name="lostAfterFrames">A track missing for more than this many frames is lost (the tracker's maximum age).</param>
    /// <exception cref="ArgumentException">A bad polygon, a line with equal ends, or duplicate names.</exception>
    public SceneAnalyzer(IReadOnlyList<ZoneConfig> zones, IReadOnlyList<LineConfig> lines, AnchorPoint anchor = AnchorPoint.BottomCenter, int lostAfterFrames = 30)
    {
        ArgumentNullException.ThrowIfNull(zones);
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentOutOfRangeException.ThrowIfNegative(lostAfterFrames);
        _zones = [.. zones.Select(z => new Zone(z, Polygon.Create(z.Points)))];
        _lines = [.. lines.Select(l => l.From != l.To ? new Line(l) : throw new ArgumentException($"Line '{l.Name}' has equal ends.", nameof(lines)))];
        var names = _zones.Select(z => z.Config.Name).Concat(_lines.Select(l => l.Config.Name)).ToList();
        if (names.Count != names.Distinct(StringComparer.Ordinal).Count())
        {
            throw new ArgumentException("Zone and line names must be distinct.", nameof(zones));
        }

        _anchor = anchor;
        _lostAfter = lostAfterFrames;
        _counts = new SceneCounts(
            _zones.ToDictionary(z => z.Config.Name, _ => new ZoneOccupancy(0, new Dictionary<string, int>())),
            _lines.ToDictionary(l => l.Config.Name, _ => default(LineCount)));
    }

    /// <summary>
    /// An analyzer for <paramref name="camera"/>'s zones and lines on frames of <paramref name="width"/> x
    /// <paramref name="height"/>: normalised points are scaled to pixels; lost after the tracker's maximum age.
    /// </summary>
    public static SceneAnalyzer ForCamera(CameraConfig camera, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(camera);
        var (sx, sy) = camera.Coordinates == CoordinateUnits.Normalized ? (width, height) : (1.0, 1.0);
        PointF Scale(PointF p) => new(p.X * sx, p.Y * sy);
        return new SceneAnalyzer(
            [.. camera.Zones.Select(z => z with { Points = [.. z.Points.Select(Scale)] })],
            [.. camera.Lines.Select(l => l with { From = Scale(l.From), To = Scale(l.To) })],
            camera.Anchor,
            camera.Tracking?.MaxAge ?? 0);
    }

    /// <summary>Counts after the latest frame.</summary>
    public SceneCounts Counts => _counts;

    /// <summary>Tracks currently followed (seen, or missing for no more than the lost-after count).</summary>
    public int ActiveTracks => _tracks.Count;

    /// <summary>The anchor point of <paramref name="box"/>.</summary>
    public PointF AnchorOf(BoundingBox box) => _anchor == AnchorPoint.Center
        ? new PointF((box.X1 + box.X2) / 2.0, (box.Y1 + box.Y2) / 2.0)
        : new PointF((box.X1 + box.X2) / 2.0, box.Y2);

    /// <summary>
    /// Feeds one frame. <paramref name="time"/> must not go backwards (the frame's timestamp: its position in a file, or
    /// time since a live source opened); dwell times are measured in it. Returns this frame's events in a stable order:
    /// per detection in the order given (appeared first, then its zone exits, enters and dwells by zone, then its
    /// crossings by line), then the tracks lost in this frame by id (each one's zone exits before its loss).
    /// </summary>
    public IReadOnlyList<SceneEvent> Update(TimeSpan time, IReadOnlyList<DetectedObject> detections)
    {
        ArgumentNullException.ThrowIfNull(detections);
        _frame++;
        var events = new List<SceneEvent>();
        foreach (var d in detections)
        {
            if (d.TrackId is not { } id)
            {
                continue;
            }

            if (!_tracks.TryGetValue(id, out var track))
            {
                track = new TrackState(_zones.Length, _lines.Length);
                _tracks[id] = track;
                events.Add(new SceneEvent(EventKind.Appeared, d));
            }

            track.Last = d;
            track.LastSeen = _frame;
            track.LastTime = time;
            var anchor = AnchorOf(d.Box);
            for (var z = 0; z < _zones.Length; z++)
            {
                var zone = _zones[z];
                if (!zone.Watches(d.Label))
                {
                    continue;
                }

                // Inside by the band to enter, outside by the band to exit; within the band the track keeps its state.
                var depth = zone.Polygon.SignedDistance(anchor);
                var wasInside = track.EnteredAt[z] is not null;
                var inside = wasInside ? depth >= -zone.Config.Hysteresis : depth >= zone.Config.Hysteresis;
                if (inside && !wasInside)
                {
                    track.EnteredAt[z] = time;
                    track.DwellReported[z] = false;
                    events.Add(new SceneEvent(EventKind.Enter, d, Zone: zone.Config.Name));
                }
                else if (!inside && wasInside && track.EnteredAt[z] is { } entered)
                {
                    track.EnteredAt[z] = null;
                    events.Add(new SceneEvent(EventKind.Exit, d, Zone: zone.Config.Name, Dwell: time - entered));
                }

                if (inside && zone.Config.Dwell is { } dwell && !track.DwellReported[z] && time - track.EnteredAt[z]!.Value >= dwell)
                {
                    track.DwellReported[z] = true;
                    events.Add(new SceneEvent(EventKind.Dwell, d, Zone: zone.Config.Name, Dwell: time - track.EnteredAt[z]!.Value));
                }
            }

            for (var l = 0; l < _lines.Length; l++)
            {
                var line = _lines[l];
                if (!line.Watches(d.Label))
                {
                    continue;
                }

                var (distance, along) = line.Measure(anchor);
                var side = distance > line.Config.Hysteresis ? 1 : distance < -line.Config.Hysteresis ? -1 : 0;
                if (side == 0)
                {
                    continue; // in the band: keeps its last confirmed side
                }

                var previous = track.Sides[l];
                track.Sides[l] = side;
                if (previous != 0 && previous != side && along is >= 0 and <= 1)
                {
                    var kind = side > 0 ? EventKind.CrossIn : EventKind.CrossOut;
                    if (kind == EventKind.CrossIn)
                    {
                        line.In++;
                    }
                    else
                    {
                        line.Out++;
                    }

                    events.Add(new SceneEvent(kind, d, Line: line.Config.Name));
                }
            }
        }

        _gone.Clear();
        foreach (var (id, track) in _tracks)
        {
            if (_frame - track.LastSeen > _lostAfter)
            {
                _gone.Add(id);
            }
        }

        _gone.Sort();
        foreach (var id in _gone)
        {
            var track = _tracks[id];
            for (var z = 0; z < _zones.Length; z++)
            {
                if (track.EnteredAt[z] is { } entered)
                {
                    events.Add(new SceneEvent(EventKind.Exit, track.Last, Zone: _zones[z].Config.Name, Dwell: track.LastTime - entered));
                }
            }

            events.Add(new SceneEvent(EventKind.Lost, track.Last));
            _tracks.Remove(id);
        }

        _counts = CountFrame(detections);
        return events;
    }

    private SceneCounts CountFrame(IReadOnlyList<DetectedObject> detections)
    {
        var zones = new Dictionary<string, ZoneOccupancy>(_zones.Length, StringComparer.Ordinal);
        foreach (var zone in _zones)
        {
            var byLabel = new Dictionary<string, int>(StringComparer.Ordinal);
            var total = 0;
            foreach (var d in detections)
            {
                if (zone.Watches(d.Label) && zone.Polygon.Contains(AnchorOf(d.Box)))
                {
                    total++;
                    byLabel[d.Label] = byLabel.GetValueOrDefault(d.Label) + 1;
                }
            }

            zones[zone.Config.Name] = new ZoneOccupancy(total, byLabel);
        }

        return new SceneCounts(zones, _lines.ToDictionary(l => l.Config.Name, l => new LineCount(l.In, l.Out), StringComparer.Ordinal));
    }

    private sealed class Zone(ZoneConfig config, Polygon polygon)
    {
        private readonly HashSet<string>? _labels = config.Classes is null ? null : new(config.Classes, StringComparer.Ordinal);

        public ZoneConfig Config { get; } = config;

        public Polygon Polygon { get; } = polygon;

        public bool Watches(string label) => _labels is null || _labels.Contains(label);
    }

    private sealed class Line(LineConfig config)
    {
        private readonly HashSet<string>? _labels = config.Classes is null ? null : new(config.Classes, StringComparer.Ordinal);
        private readonly double _dx = config.To.X - config.From.X, _dy = config.To.Y - config.From.Y;
        private readonly double _length = Math.Sqrt(((config.To.X - config.From.X) * (config.To.X - config.From.X)) + ((config.To.Y - config.From.Y) * (config.To.Y - config.From.Y)));

        public LineConfig Config { get; } = config;

        public long In { get; set; }

        public long Out { get; set; }

        public bool Watches(string label) => _labels is null || _labels.Contains(label);

        /// <summary>Signed distance (positive on the right, looking from From to To on screen) and position along the segment (0..1 within it).</summary>
        public (double Distance, double Along) Measure(PointF p)
        {
            var px = p.X - Config.From.X;
            var py = p.Y - Config.From.Y;
            return (((_dx * py) - (_dy * px)) / _length, ((px * _dx) + (py * _dy)) / (_length * _length));
        }
    }

    private sealed class TrackState(int zones, int lines)
    {
        public DetectedObject Last { get; set; }

        public long LastSeen { get; set; }

        public TimeSpan LastTime { get; set; }

        public TimeSpan?[] EnteredAt { get; } = new TimeSpan?[zones];

        public bool[] DwellReported { get; } = new bool[zones];

        /// <summary>Last confirmed side of each line: -1 left, +1 right, 0 not yet known.</summary>
        public int[] Sides { get; } = new int[lines];
    }
}
