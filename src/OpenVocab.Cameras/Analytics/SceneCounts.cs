namespace OpenVocab.Cameras.Analytics;

/// <summary>Counts after a frame: zone occupancy and line totals, by name. A snapshot; never changes afterwards.</summary>
/// <param name="Zones">Occupancy per zone.</param>
/// <param name="Lines">Crossing totals per line.</param>
public sealed record SceneCounts(IReadOnlyDictionary<string, ZoneOccupancy> Zones, IReadOnlyDictionary<string, LineCount> Lines);
