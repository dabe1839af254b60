namespace OpenVocab.Cameras.Events;

/// <summary>A sink's counters so far. A snapshot; never changes afterwards.</summary>
/// <param name="Accepted">Events handed to the sink.</param>
/// <param name="Delivered">Events the destination acknowledged (MQTT PUBACK, HTTP 2xx, line written).</param>
/// <param name="Dropped">Events given up: queue full (oldest dropped), out of retries, or refused by the destination.</param>
/// <param name="Pending">Events waiting (in memory, and on disk for MQTT).</param>
/// <param name="Retries">Delivery attempts repeated after a failure.</param>
/// <param name="Outages">Times the destination became unreachable.</param>
/// <param name="Connected">Whether the destination is reachable now, as far as the sink knows.</param>
public sealed record EventSinkStatistics(long Accepted, long Delivered, long Dropped, long Pending, long Retries, int Outages, bool Connected);
