namespace OpenVocab.Evaluation;

/// <summary>mAP of a detector on a COCO-style dataset, overall and split into seen and held-out categories.</summary>
/// <param name="Metrics">Per-category and overall COCO metrics.</param>
/// <param name="Seen">mAP over categories not marked held-out (null when there are none with ground truth).</param>
/// <param name="HeldOut">mAP over categories marked held-out (null when there are none with ground truth).</param>
/// <param name="ImageCount">Images evaluated.</param>
public sealed record DetectionEvaluationReport(CocoMetrics Metrics, SubsetMap? Seen, SubsetMap? HeldOut, int ImageCount);
