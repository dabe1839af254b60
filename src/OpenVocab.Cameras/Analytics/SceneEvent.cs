using OpenVocab.Cameras.Events;
using OpenVocab.Detection;

namespace OpenVocab.Cameras.Analytics;

/// <summary>Something <see cref="SceneAnalyzer"/> saw happen to one track in one frame.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="TrackId">The track.</param>
/// <param name="Label">The track's class label.</param>
/// <param name="Box">The track's box in this frame (its last box for <see cref="EventKind.Lost"/> and exits on loss).</param>
/// <param name="Score">The detection's score (the last one for losses).</param>
/// <param name="Zone">The zone, for enter, exit and dwell; else null.</param>
/// <param name="Line">The line, for crossings; else null.</param>
/// <param name="Dwell">Time in the zone, for exit and dwell; else null.</param>
public sealed record SceneEvent(EventKind Kind, int TrackId, string Label, BoundingBox Box, float Score, string? Zone = null, string? Line = null, TimeSpan? Dwell = null);
