namespace OpenVocab.Evaluation;

/// <summary>COCO metrics of one category. AP and recall are −1 when the category has no (non-crowd) ground truth.</summary>
/// <param name="CategoryId">The category.</param>
/// <param name="GroundTruthCount">Non-crowd ground-truth objects.</param>
/// <param name="DetectionCount">Detections evaluated (after the per-image cap).</param>
/// <param name="AP50">Average precision at IoU 0.5 (101-point interpolation).</param>
/// <param name="AP50To95">Average precision averaged over IoU 0.50:0.05:0.95.</param>
/// <param name="Recall">Recall at the last detection, averaged over the IoU thresholds (COCO's AR at maxDets).</param>
/// <param name="APByThreshold">Average precision at each of <see cref="CocoEvaluator.IouThresholds"/>.</param>
public sealed record CocoCategoryMetrics(
    int CategoryId,
    int GroundTruthCount,
    int DetectionCount,
    double AP50,
    double AP50To95,
    double Recall,
    IReadOnlyList<double> APByThreshold)
{
    /// <summary>Whether the category had ground truth, so that its AP counts in means.</summary>
    public bool IsValid => GroundTruthCount > 0;
}
