namespace OpenVocab.Classification;

/// <summary>One label's score for an image.</summary>
/// <param name="Label">The label name.</param>
/// <param name="Index">The label's position in the label set.</param>
/// <param name="Score">Softmax probability over the label set (0..1; all labels sum to 1).</param>
/// <param name="Similarity">Cosine similarity between the image and the label vector.</param>
public readonly record struct ZeroShotPrediction(string Label, int Index, float Score, float Similarity);
