namespace OpenVocab.Cameras.Analytics;

/// <summary>Crossings of one line since the analyzer started.</summary>
/// <param name="In">Left-to-right crossings (see <see cref="Configuration.LineConfig"/>).</param>
/// <param name="Out">Right-to-left crossings.</param>
public readonly record struct LineCount(long In, long Out);
