namespace OpenVocab.Evaluation;

/// <summary>mAP@0.5 and mAP@[.5:.95] over a subset of categories.</summary>
/// <param name="MAP50">Mean AP at IoU 0.5.</param>
/// <param name="MAP50To95">Mean AP over IoU 0.50:0.05:0.95.</param>
/// <param name="Categories">Categories with ground truth in the subset.</param>
public sealed record SubsetMap(double MAP50, double MAP50To95, int Categories);
