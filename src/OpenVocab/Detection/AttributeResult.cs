using OpenVocab.Classification;

namespace OpenVocab.Detection;

/// <summary>
/// The attribute a detection's box was classified as (see <see cref="AttributePrompt"/>): the best label, its softmax
/// score over the class's attribute labels, and the best few. Immutable; the caller's.
/// </summary>
/// <param name="Label">The best attribute label.</param>
/// <param name="Score">Its softmax probability over the attribute labels, 0..1.</param>
/// <param name="TopK">The best <see cref="AttributePrompt.TopK"/> labels, best first (the first is <paramref name="Label"/>).</param>
public sealed record AttributeResult(string Label, float Score, IReadOnlyList<ZeroShotPrediction> TopK);
