namespace OpenVocab.Cameras.Events;

/// <summary>A time the MQTT broker was unreachable.</summary>
/// <param name="From">When the sink first failed to reach it.</param>
/// <param name="To">When it reconnected.</param>
/// <param name="Queued">Events queued on disk meanwhile (all sent after <see cref="To"/>, in order).</param>
/// <param name="Dropped">Events dropped meanwhile because the on-disk queue was full.</param>
public sealed record BrokerGap(DateTimeOffset From, DateTimeOffset To, long Queued, long Dropped);
