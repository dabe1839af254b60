using OpenVocab.Detection;

namespace OpenVocab.Video;

/// <summary>What the pipeline found in one frame. The caller owns it; the pipeline never reuses it.</summary>
/// <param name="FrameIndex">The frame's index in its source (see <see cref="FrameInfo.Index"/>).</param>
/// <param name="Timestamp">The frame's time in its source.</param>
/// <param name="Width">Frame width.</param>
/// <param name="Height">Frame height.</param>
/// <param name="Detections">
/// Detections sorted by score, boxes in frame pixels. With tracking on, each carries its <see cref="DetectedObject.TrackId"/>
/// (null when not part of a confirmed track), and the list is what <see cref="Tracking.ByteTracker.Update"/> kept.
/// </param>
/// <param name="Timings">Detector stage timings for this frame.</param>
/// <param name="TrackingMs">Time spent in the tracker.</param>
/// <param name="LatencyMs">From the frame leaving the source to its result being ready (sinks included).</param>
public sealed record FrameResult(long FrameIndex, TimeSpan Timestamp, int Width, int Height, IReadOnlyList<DetectedObject> Detections,
    StageTimings Timings, double TrackingMs, double LatencyMs);
