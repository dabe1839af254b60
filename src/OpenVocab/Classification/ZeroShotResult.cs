namespace OpenVocab.Classification;

/// <summary>The classification of one image.</summary>
/// <param name="Predictions">Best first; all labels, or the top k. A new list, the caller's.</param>
/// <param name="Embedding">The image's L2-normalised embedding (the caller's).</param>
public sealed record ZeroShotResult(IReadOnlyList<ZeroShotPrediction> Predictions, float[] Embedding)
{
    /// <summary>The best prediction.</summary>
    public ZeroShotPrediction Top => Predictions[0];
}
