using OpenVocab.Detection;

namespace OpenVocab.Video;

/// <summary>What the pipeline found in one frame. The caller owns it; the pipeline never reuses it.</summary>
/// <param name="FrameIndex">The frame's index in its source (see <see cref="FrameInfo.Index"/>).</param>
/// <param name="Timestamp">The frame's time in its source.</param>
/// <param name="Width">Frame width.</param>
/// <param name="Height">Frame height.</param>
/// <param name="Detections">Detections sorted by score, boxes in frame pixels.</param>
/// <param name="TrackIds">For each detection, its track id, or null (tracking off, or not part of a confirmed track).</param>
/// <param name="Timings">Detector stage timings for this frame.</param>
/// <param name="TrackingMs">Time spent in the tracker.</param>
/// <param name="LatencyMs">From the frame leaving the source to its result being ready (sinks included).</param>
public sealed record FrameResult(long FrameIndex, TimeSpan Timestamp, int Width, int Height, IReadOnlyList<DetectedObject> Detections,
    IReadOnlyList<int?> TrackIds, StageTimings Timings, double TrackingMs, double LatencyMs);

/// <summary>Counters of a pipeline run so far (or of the finished run). A snapshot; never changes afterwards.</summary>
/// <param name="FramesRead">Frames the source delivered.</param>
/// <param name="FramesProcessed">Frames detected and reported.</param>
/// <param name="FramesDropped">Frames dropped in live mode because a newer one arrived before detection was free.</param>
/// <param name="FramesStrided">Frames left out by the frame stride.</param>
/// <param name="FramesSkipped">Unreadable frames or images the source skipped.</param>
/// <param name="Reconnects">Reopen attempts after source failures.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="CaptureMs">Mean time to read (and decode) one frame from the source.</param>
/// <param name="PreprocessMs">Mean detector preprocessing time per processed frame.</param>
/// <param name="InferenceMs">Mean inference time per processed frame.</param>
/// <param name="PostprocessMs">Mean detector postprocessing time per processed frame.</param>
/// <param name="TrackingMs">Mean tracker time per processed frame.</param>
/// <param name="SinkMs">Mean time in sinks (drawing, encoding, JSON) per processed frame.</param>
/// <param name="Completed">True once the run has ended (normally, by cancellation or by an error).</param>
public sealed record VideoRunStatistics(long FramesRead, long FramesProcessed, long FramesDropped, long FramesStrided, long FramesSkipped,
    int Reconnects, TimeSpan Elapsed, double CaptureMs, double PreprocessMs, double InferenceMs, double PostprocessMs, double TrackingMs,
    double SinkMs, bool Completed)
{
    /// <summary>Processed frames per second of elapsed time.</summary>
    public double Fps => Elapsed.TotalSeconds > 0 ? FramesProcessed / Elapsed.TotalSeconds : 0;
}

/// <summary>Raised before each attempt to reopen a failed source.</summary>
/// <param name="attempt">1 for the first attempt after a failure.</param>
/// <param name="delay">The wait before this attempt.</param>
/// <param name="reason">What went wrong.</param>
public sealed class SourceReconnectEventArgs(int attempt, TimeSpan delay, string reason) : EventArgs
{
    /// <summary>1 for the first attempt after a failure.</summary>
    public int Attempt { get; } = attempt;

    /// <summary>The wait before this attempt.</summary>
    public TimeSpan Delay { get; } = delay;

    /// <summary>What went wrong.</summary>
    public string Reason { get; } = reason;
}
