using Prometheus;

namespace OpenVocab.Server;

/// <summary>
/// The server's own Prometheus metrics (request counts and latency per route come from prometheus-net's HTTP
/// middleware). prometheus-net keeps one process-wide registry, so every server in a process shares these series.
/// Thread-safe.
/// </summary>
internal sealed class ServerMetrics
{
    private readonly Histogram _inference = Metrics.CreateHistogram(
        "openvocab_inference_seconds", "Time of one detector run (a whole batch).",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });

    private readonly Histogram _batch = Metrics.CreateHistogram(
        "openvocab_batch_size", "Images per detector run.",
        new HistogramConfiguration { Buckets = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64] });

    private readonly Gauge _queue = Metrics.CreateGauge(
        "openvocab_detect_queue_depth", "Images waiting for a detector run.");

    private readonly Counter _rejected = Metrics.CreateCounter(
        "openvocab_rejected_requests_total", "Requests refused before any work, by reason.",
        new CounterConfiguration { LabelNames = ["reason"] });

    public Histogram InferenceSeconds => _inference;

    public Histogram BatchSize => _batch;

    public Gauge QueueDepth => _queue;

    /// <summary>Counts a refusal: <c>unauthorized</c>, <c>queue_full</c>, <c>shutting_down</c>, <c>not_ready</c>, <c>too_large</c>.</summary>
    public void Rejected(string reason) => _rejected.WithLabels(reason).Inc();
}
