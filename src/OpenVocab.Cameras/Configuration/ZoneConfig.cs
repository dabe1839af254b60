using OpenVocab.Cameras.Analytics;

namespace OpenVocab.Cameras.Configuration;

/// <summary>A polygon zone. Immutable.</summary>
/// <param name="Name">Unique within the camera (zones and lines share one name space).</param>
/// <param name="Points">Vertices in order, in the camera's <see cref="CameraConfig.Coordinates"/>.</param>
public sealed record ZoneConfig(string Name, IReadOnlyList<PointF> Points)
{
    /// <summary>A <c>dwell</c> event is emitted once per visit when an object has stayed this long; null for none.</summary>
    public TimeSpan? Dwell { get; init; }

    /// <summary>
    /// Pixels inside an edge before an object counts as entered, and outside before it counts as gone, so that an
    /// anchor jittering on the edge does not enter and exit every frame; 0 for none (the boundary counts as inside).
    /// </summary>
    public double Hysteresis { get; init; } = 4;

    /// <summary>Labels this zone watches; null for all.</summary>
    public IReadOnlyList<string>? Classes { get; init; }
}
