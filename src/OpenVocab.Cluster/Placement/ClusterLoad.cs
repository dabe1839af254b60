using Orleans.Runtime.MembershipService.SiloMetadata;
using OpenVocab.Cluster.Grains;
using OpenVocab.Cluster.Hosting;

namespace OpenVocab.Cluster.Placement;

/// <summary>
/// How many cameras each live silo runs and how many it takes. Counts come from the engine itself (the management
/// grain's activation list), so no bookkeeping of ours can drift from what really runs; capacities are the silo
/// metadata each silo publishes when it joins. A snapshot is reused for <see cref="SnapshotAge"/> and placements made
/// here since are added to it, so a burst of activations spreads instead of piling onto the silo that looked emptiest.
/// One per silo; thread-safe.
/// </summary>
internal sealed class ClusterLoad(IGrainFactory grains, ISiloMetadataCache metadata, IClusterMembershipService membership)
{
    /// <summary>How long a count snapshot is used before the silos are asked again.</summary>
    public static readonly TimeSpan SnapshotAge = TimeSpan.FromSeconds(1);

    private static readonly GrainType CameraType = GrainType.Create(CameraGrain.TypeName);
    private readonly Lock _lock = new();
    private Dictionary<SiloAddress, int> _counts = [];
    private Dictionary<SiloAddress, int> _placed = [];
    private long _takenAt = long.MinValue;

    /// <summary>The silos that are active now.</summary>
    public SiloAddress[] ActiveSilos() =>
        [.. membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress)];

    /// <summary>Each of <paramref name="silos"/> with its cameras and capacity.</summary>
    /// <param name="silos">The silos to report.</param>
    /// <param name="fresh">Ask the silos now instead of using a recent snapshot.</param>
    public async Task<IReadOnlyList<SiloLoad>> GetAsync(SiloAddress[] silos, bool fresh = false)
    {
        bool stale;
        lock (_lock)
        {
            stale = fresh || Environment.TickCount64 - _takenAt > SnapshotAge.TotalMilliseconds || silos.Any(s => !_counts.ContainsKey(s));
        }

        if (stale)
        {
            var stats = await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics(null, silos).ConfigureAwait(false);
            var counts = silos.ToDictionary(s => s, _ => 0);
            foreach (var s in stats)
            {
                if (s.GrainId.Type == CameraType && counts.TryGetValue(s.SiloAddress, out var n))
                {
                    counts[s.SiloAddress] = n + 1;
                }
            }

            lock (_lock)
            {
                _counts = counts;
                _placed = [];
                _takenAt = Environment.TickCount64;
            }
        }

        lock (_lock)
        {
            return [.. silos.Select(s => new SiloLoad(s, _counts.GetValueOrDefault(s) + _placed.GetValueOrDefault(s), Capacity(s)))];
        }
    }

    /// <summary>Counts a placement on <paramref name="silo"/> until the next snapshot sees it.</summary>
    public void Placed(SiloAddress silo)
    {
        lock (_lock)
        {
            _placed[silo] = _placed.GetValueOrDefault(silo) + 1;
        }
    }

    /// <summary>The live silos and the cameras they take together.</summary>
    public Task<(int Silos, int Cameras)> TotalCapacityAsync()
    {
        var silos = ActiveSilos();
        return Task.FromResult((silos.Length, silos.Sum(Capacity)));
    }

    /// <summary>The capacity <paramref name="silo"/> published, or the default when it published none.</summary>
    public int Capacity(SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(CameraSilo.CapacityKey, out var text) && int.TryParse(text, out var n) && n > 0
            ? n
            : new CameraSiloOptions().Capacity;
}
