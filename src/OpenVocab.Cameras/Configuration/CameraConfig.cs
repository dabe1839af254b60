using System.Globalization;
using OpenVocab.Cameras.Analytics;
using OpenVocab.Cameras.Events;
using OpenVocab.Tracking;
using OpenVocab.Video;

namespace OpenVocab.Cameras.Configuration;

/// <summary>
/// One camera: where its frames come from, what it looks for, its zones and lines, and the events it emits.
/// Immutable; <see cref="Validate"/> lists every problem (the host refuses a camera that has any).
/// </summary>
/// <param name="Name">Unique name; used in MQTT topics, so letters, digits, '-', '_' and '.' only.</param>
/// <param name="Source">A file, folder or glob of images, camera index, or rtsp/http/tcp/udp/... URL (see <see cref="VideoSource.Open"/>).</param>
public sealed record CameraConfig(string Name, string Source)
{
    /// <summary>The classes, each with an optional threshold. At least one for an open-vocabulary detector.</summary>
    public IReadOnlyList<ClassConfig> Classes { get; init; } = [];

    /// <summary>Default least score (exclusive) for classes without their own threshold, in [0, 1]. Default 0.25.</summary>
    public double Confidence { get; init; } = 0.25;

    /// <summary>Detect every Nth frame. Default 1.</summary>
    public int Stride { get; init; } = 1;

    /// <summary>True: always the newest frame (drops counted); false: every frame; null: live for cameras and streams.</summary>
    public bool? Live { get; init; }

    /// <summary>For files: start again at the end instead of finishing. Default false.</summary>
    public bool Loop { get; init; }

    /// <summary>For files and folders: read at the file's frame rate, as a camera would deliver them. Default false.</summary>
    public bool Realtime { get; init; }

    /// <summary>ByteTrack settings; null turns tracking off (then only occupancy counts work: events need track ids).</summary>
    public TrackerOptions? Tracking { get; init; } = new();

    /// <summary>Units of zone and line points. Default pixels.</summary>
    public CoordinateUnits Coordinates { get; init; } = CoordinateUnits.Pixels;

    /// <summary>The point of each box that zones and lines test. Default bottom centre.</summary>
    public AnchorPoint Anchor { get; init; } = AnchorPoint.BottomCenter;

    /// <summary>Polygon zones.</summary>
    public IReadOnlyList<ZoneConfig> Zones { get; init; } = [];

    /// <summary>Counting lines.</summary>
    public IReadOnlyList<LineConfig> Lines { get; init; } = [];

    /// <summary>Event kinds this camera emits. Default all.</summary>
    public IReadOnlySet<EventKind> Events { get; init; } = new HashSet<EventKind>(EventKinds.All);

    /// <summary>Whether events carry a JPEG. Default none.</summary>
    public SnapshotMode Snapshot { get; init; } = SnapshotMode.None;

    /// <summary>How often zone occupancy and line counts are published (they are also published when they change). Default 1 s.</summary>
    public TimeSpan CountsInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The threshold for <paramref name="label"/>: its own, else <see cref="Confidence"/>.</summary>
    public double ThresholdFor(string label) => Classes.FirstOrDefault(c => c.Name == label)?.Threshold ?? Confidence;

    /// <summary>Every problem with this camera, each naming the camera and the field; empty when it is usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Error(string field, string message) => errors.Add($"camera '{Name}': {field}: {message}");

        if (string.IsNullOrWhiteSpace(Name) || !Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            errors.Add($"camera '{Name}': name: expected a non-empty name of letters, digits, '-', '_' or '.' (it becomes an MQTT topic level)");
        }

        if (string.IsNullOrWhiteSpace(Source))
        {
            Error("source", "expected a file, folder, camera index or stream URL");
        }
        else
        {
            try
            {
                VideoSource.KindOf(Source);
            }
            catch (VideoSourceException e)
            {
                Error("source", e.Message);
            }
        }

        if (!(Confidence >= 0 && Confidence <= 1))
        {
            Error("confidence", $"expected a number in [0, 1], got {Confidence.ToString(CultureInfo.InvariantCulture)}");
        }

        if (Stride < 1)
        {
            Error("stride", $"expected an integer >= 1, got {Stride}");
        }

        if (CountsInterval <= TimeSpan.Zero)
        {
            Error("counts_interval", "expected a positive number of seconds");
        }

        var labels = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Classes.Count; i++)
        {
            var c = Classes[i];
            if (string.IsNullOrWhiteSpace(c.Name))
            {
                Error($"classes[{i}]", "expected a non-empty class name");
            }
            else if (!labels.Add(c.Name))
            {
                Error($"classes[{i}]", $"duplicate class '{c.Name}'; expected each class once");
            }

            if (c.Threshold is { } t && !(t >= 0 && t <= 1))
            {
                Error($"classes[{i}].threshold", $"expected a number in [0, 1], got {t.ToString(CultureInfo.InvariantCulture)}");
            }

            if (c.Prompts is { } prompts && (prompts.Count == 0 || prompts.Any(string.IsNullOrWhiteSpace)))
            {
                Error($"classes[{i}].prompts", "expected one or more non-empty prompts");
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Zones.Count; i++)
        {
            var z = Zones[i];
            CheckShapeName($"zones[{i}]", z.Name);
            CheckUnits($"zones[{i}].points", z.Points);
            if (Polygon.Check(z.Points) is { } problem)
            {
                Error($"zones[{i}].points", problem);
            }

            if (z.Dwell is { } d && d <= TimeSpan.Zero)
            {
                Error($"zones[{i}].dwell", "expected a positive number of seconds");
            }

            if (!(z.Hysteresis >= 0) || !double.IsFinite(z.Hysteresis))
            {
                Error($"zones[{i}].hysteresis", "expected a distance in pixels >= 0");
            }
        }

        for (var i = 0; i < Lines.Count; i++)
        {
            var l = Lines[i];
            CheckShapeName($"lines[{i}]", l.Name);
            CheckUnits($"lines[{i}].points", [l.From, l.To]);
            if (l.From == l.To)
            {
                Error($"lines[{i}].points", $"both ends are {l.From}; expected two distinct points");
            }

            if (!(l.Hysteresis >= 0) || !double.IsFinite(l.Hysteresis))
            {
                Error($"lines[{i}].hysteresis", "expected a distance in pixels >= 0");
            }
        }

        if (Tracking is null && Events.Count > 0 && (Zones.Count > 0 || Lines.Count > 0 || Events.Contains(EventKind.Appeared) || Events.Contains(EventKind.Lost)))
        {
            Error("tracking", "events need track ids; expected tracking on (or 'events: []')");
        }

        return errors;

        void CheckShapeName(string field, string name)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                Error($"{field}.name", "expected a non-empty name");
            }
            else if (!names.Add(name))
            {
                Error($"{field}.name", $"duplicate name '{name}'; zones and lines of one camera need distinct names");
            }
        }

        void CheckUnits(string field, IReadOnlyList<PointF> points)
        {
            if (Coordinates == CoordinateUnits.Normalized && points.Any(p => p.X is < 0 or > 1 || p.Y is < 0 or > 1))
            {
                Error(field, "expected normalised coordinates in [0, 1] (the camera says 'coordinates: normalized')");
            }
            else if (Coordinates == CoordinateUnits.Pixels && points.Any(p => p.X < 0 || p.Y < 0))
            {
                Error(field, "expected pixel coordinates >= 0");
            }
        }
    }
}
