namespace OpenVocab.Video;

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
