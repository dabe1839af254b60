namespace OpenVocab.Cameras.Analytics;

/// <summary>Occupancy of one zone in the latest frame.</summary>
/// <param name="Total">Objects whose anchor is in the zone.</param>
/// <param name="ByLabel">The same, per label (labels with none are left out).</param>
public sealed record ZoneOccupancy(int Total, IReadOnlyDictionary<string, int> ByLabel);
