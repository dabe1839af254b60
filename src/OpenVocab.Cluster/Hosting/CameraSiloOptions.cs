using System.Net;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Inference;

namespace OpenVocab.Cluster.Hosting;

/// <summary>
/// One silo's settings: how many cameras it takes, its endpoints, its model pack and event outputs, and the timing of
/// failover and rebalancing. Immutable; values are validated when set. The timing defaults are the ones docs/cluster.md
/// explains (a killed silo is declared dead in about 5 s and its cameras run elsewhere within about 10 s).
/// </summary>
public sealed record CameraSiloOptions
{
    private readonly int _capacity = 8;
    private readonly TimeSpan _reminderPeriod = TimeSpan.FromSeconds(5);
    private readonly TimeSpan _rebalanceInterval = TimeSpan.FromSeconds(5);
    private readonly TimeSpan _probeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The silo's name, written as <c>silo</c> in its events; null lets Orleans choose one.</summary>
    public string? Name { get; init; }

    /// <summary>Most cameras this silo runs while another silo has room. Default 8.</summary>
    public int Capacity
    {
        get => _capacity;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Capacity));
            _capacity = value;
        }
    }

    /// <summary>The address other silos and clients reach this one at. Default 127.0.0.1.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>Silo-to-silo port. Default 11111.</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>Port clients (the CLI, the server) connect to. Default 30000.</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>The model pack folder; the silo loads its detector once and shares it between all its cameras.</summary>
    public string Model { get; init; } = "";

    /// <summary>How the detector runs (execution provider, threads); null for the library's defaults (CPU).</summary>
    public InferenceOptions? Inference { get; init; }

    /// <summary>Event outputs (jsonl, mqtt, webhook of a cameras file; its cameras are not used). Default none.</summary>
    public CamerasConfig Events { get; init; } = new();

    /// <summary>Batch frames of different cameras that are ready together (see the cameras host). Default off.</summary>
    public bool Batching { get; init; }

    /// <summary>
    /// Period of each camera's reminder, the engine's own mechanism that brings a camera back after its silo is lost:
    /// a tick only touches the camera, so Orleans activates it on a live silo when it is not running. Shorter brings
    /// cameras back sooner and costs one Redis-backed reminder tick per camera per period. Default 5 s; at least 1 s.
    /// </summary>
    public TimeSpan ReminderPeriod
    {
        get => _reminderPeriod;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.FromSeconds(1), nameof(ReminderPeriod));
            _reminderPeriod = value;
        }
    }

    /// <summary>How often the most loaded silo hands one camera to a silo with more room (after a join). Default 5 s.</summary>
    public TimeSpan RebalanceInterval
    {
        get => _rebalanceInterval;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.FromMilliseconds(100), nameof(RebalanceInterval));
            _rebalanceInterval = value;
        }
    }

    /// <summary>
    /// Liveness probe timeout (Orleans' ClusterMembershipOptions.ProbeTimeout; probes go out about this often). With
    /// three missed probes and two votes a killed silo is declared dead in about 3-5x this. Default 1 s.
    /// </summary>
    public TimeSpan ProbeTimeout
    {
        get => _probeTimeout;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.FromMilliseconds(200), nameof(ProbeTimeout));
            _probeTimeout = value;
        }
    }
}
