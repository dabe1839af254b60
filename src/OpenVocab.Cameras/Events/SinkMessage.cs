namespace OpenVocab.Cameras.Events;

/// <summary>What a sink is handed: an event or a camera's counts, already serialised once for all sinks. Immutable.</summary>
/// <param name="Camera">The camera.</param>
/// <param name="IsCounts">True for counts (latest wins: a sink may skip stale ones), false for an event (each must be delivered).</param>
/// <param name="Id">The event id, or null for counts.</param>
/// <param name="Payload">UTF-8 JSON (see <see cref="EventJson"/>). Shared by all sinks: never modify.</param>
/// <param name="CapturedAt">When the frame left its source (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>), for latency.</param>
public sealed record SinkMessage(string Camera, bool IsCounts, string? Id, ReadOnlyMemory<byte> Payload, long CapturedAt);
