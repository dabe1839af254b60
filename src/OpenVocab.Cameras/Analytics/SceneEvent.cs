using OpenVocab.Cameras.Events;
using OpenVocab.Detection;

namespace OpenVocab.Cameras.Analytics;

/// <summary>Something <see cref="SceneAnalyzer"/> saw happen to one track in one frame.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Detection">The track's detection in this frame (its last sighting for <see cref="EventKind.Lost"/> and exits on loss), with its track id.</param>
/// <param name="Zone">The zone, for enter, exit and dwell; else null.</param>
/// <param name="Line">The line, for crossings; else null.</param>
/// <param name="Dwell">Time in the zone, for exit and dwell; else null.</param>
public sealed record SceneEvent(EventKind Kind, DetectedObject Detection, string? Zone = null, string? Line = null, TimeSpan? Dwell = null)
{
    /// <summary>The track id.</summary>
    public int TrackId => Detection.TrackId ?? 0;
}
