using Orleans.Runtime.MembershipService.SiloMetadata;
using OpenVocab.Cluster.Grains;
using OpenVocab.Cluster.Hosting;

namespace OpenVocab.Cluster.Placement;

/// <summary>
/// How many cameras each live silo runs and how many it takes. Counts come from the engine itself (the management
/// grain's activation list, asked afresh for every decision: placements are rare), so no bookkeeping of ours can drift
/// from what really runs; capacities are the silo metadata each silo publishes when it joins. Placements made here in
/// the last few seconds that the list does not show yet are added, so a burst of activations (a failover) spreads
/// instead of piling onto the silo that looked emptiest. One per silo; thread-safe.
/// </summary>
internal sealed class ClusterLoad(IGrainFactory grains, ISiloMetadataCache metadata, IClusterMembershipService membership)
{
    /// <summary>How long a placement made here counts before the activation list must show it.</summary>
    private static readonly TimeSpan RecentWindow = TimeSpan.FromSeconds(10);

    private static readonly GrainType CameraType = GrainType.Create(CameraGrain.TypeName);
    private readonly Dictionary<GrainId, (SiloAddress Silo, long At)> _recent = [];

    /// <summary>The silos that are active now.</summary>
    public SiloAddress[] ActiveSilos() =>
        [.. membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress)];

    /// <summary>Each of <paramref name="silos"/> with its cameras and capacity.</summary>
    public async Task<IReadOnlyList<SiloLoad>> GetAsync(SiloAddress[] silos)
    {
        var stats = await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics(null, silos).ConfigureAwait(false);
        var where = new Dictionary<GrainId, SiloAddress>();
        foreach (var s in stats)
        {
            if (s.GrainId.Type == CameraType)
            {
                where[s.GrainId] = s.SiloAddress;
            }
        }

        lock (_recent)
        {
            var now = Environment.TickCount64;
            foreach (var (grain, placed) in _recent.ToList())
            {
                if (now - placed.At > RecentWindow.TotalMilliseconds)
                {
                    _recent.Remove(grain);
                }
                else
                {
                    where.TryAdd(grain, placed.Silo);
                }
            }
        }

        var counts = where.Values.CountBy(s => s).ToDictionary();
        return [.. silos.Select(s => new SiloLoad(s, counts.GetValueOrDefault(s), Capacity(s)))];
    }

    /// <summary>Counts <paramref name="grain"/> on <paramref name="silo"/> until the activation list shows where it is.</summary>
    public void Placed(GrainId grain, SiloAddress silo)
    {
        lock (_recent)
        {
            _recent[grain] = (silo, Environment.TickCount64);
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
