namespace OpenVocab.Cameras.Analytics;

/// <summary>Occupancy of one zone in the latest frame.</summary>
/// <param name="Total">Objects whose anchor is in the zone.</param>
/// <param name="ByLabel">The same, per label (labels with none are left out).</param>
public sealed record ZoneOccupancy(int Total, IReadOnlyDictionary<string, int> ByLabel);

/// <summary>Crossings of one line since the analyzer started.</summary>
/// <param name="In">Left-to-right crossings (see <see cref="Configuration.LineConfig"/>).</param>
/// <param name="Out">Right-to-left crossings.</param>
public readonly record struct LineCount(long In, long Out);

/// <summary>Counts after a frame: zone occupancy and line totals, by name. A snapshot; never changes afterwards.</summary>
/// <param name="Zones">Occupancy per zone.</param>
/// <param name="Lines">Crossing totals per line.</param>
public sealed record SceneCounts(IReadOnlyDictionary<string, ZoneOccupancy> Zones, IReadOnlyDictionary<string, LineCount> Lines);
