namespace OpenVocab.Evaluation;

/// <summary>A ground-truth object (a COCO annotation).</summary>
/// <param name="ImageId">The image it belongs to.</param>
/// <param name="CategoryId">Its category.</param>
/// <param name="Box">Its box.</param>
/// <param name="IsCrowd">A crowd region: never a miss, and detections matching it are neither true nor false
/// positives (pycocotools' <c>ignore</c>); IoU against it is intersection over the detection's area.</param>
/// <param name="Id">The annotation id, when known.</param>
public readonly record struct CocoGroundTruth(long ImageId, int CategoryId, CocoBox Box, bool IsCrowd = false, long Id = 0);
