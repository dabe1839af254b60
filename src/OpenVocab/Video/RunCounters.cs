using System.Diagnostics;
using OpenVocab.Detection;

namespace OpenVocab.Video;

/// <summary>Counters shared by the stages; read as a snapshot.</summary>
internal sealed class RunCounters
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private long _read;
    private double _capture, _pre, _infer, _postprocess, _tracking, _sinks;
    public long Processed;
    public long Dropped;
    public long Strided;
    public int Reconnects;

    public long Skipped { get; set; }

    public bool Completed { get; set; }

    public FramePool? Pool { get; set; }

    public void Stop() => _clock.Stop();

    public void AddCapture(double ms)
    {
        lock (_lock)
        {
            _read++;
            _capture += ms;
        }
    }

    public void AddDetect(StageTimings t)
    {
        lock (_lock)
        {
            _pre += t.PreprocessMs;
            _infer += t.InferenceMs;
            _postprocess += t.PostprocessMs;
        }
    }

    public void AddPost(double trackingMs, double sinkMs)
    {
        lock (_lock)
        {
            Processed++;
            _tracking += trackingMs;
            _sinks += sinkMs;
        }
    }

    public VideoRunStatistics Snapshot()
    {
        lock (_lock)
        {
            var n = Math.Max(Processed, 1);
            return new VideoRunStatistics(_read, Processed, Interlocked.Read(ref Dropped), Interlocked.Read(ref Strided), Skipped,
                Volatile.Read(ref Reconnects), _clock.Elapsed, _capture / Math.Max(_read, 1), _pre / n, _infer / n, _postprocess / n,
                _tracking / n, _sinks / n, Completed);
        }
    }
}
