using Microsoft.Extensions.Logging;
using Orleans.Runtime.Placement;

namespace OpenVocab.Cluster.Placement;

/// <summary>
/// Orleans calls this to choose a silo for a camera grain that is not active anywhere: after <c>add</c>, after its
/// silo was lost (the reminder's tick), or after rebalancing moved it. It picks the compatible silo that would be least
/// full, relative to its capacity, with one more camera. When every silo is full it still places the camera, on the
/// least full one, and logs it: running a camera over capacity beats leaving it dark after a failure (<c>add</c>
/// itself refuses a camera the cluster has no room for). Thread-safe; one per silo.
/// </summary>
internal sealed partial class CapacityPlacementDirector(ClusterLoad load, ILogger<CapacityPlacementDirector> logger) : IPlacementDirector
{
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        var loads = await load.GetAsync(silos).ConfigureAwait(false);
        var best = Least(loads) ?? throw new OrleansException($"No silo can run camera '{target.GrainIdentity.Key}': none is active.");
        load.Placed(target.GrainIdentity, best.Silo);
        if (best.Cameras >= best.Capacity)
        {
            LogOverCapacity(logger, target.GrainIdentity.Key.ToString()!, best.Silo.ToString(), best.Cameras + 1, best.Capacity);
        }

        return best.Silo;
    }

    /// <summary>The silo that would be least full with one more camera; ties go to the one with fewer cameras, then by address so every silo decides alike.</summary>
    internal static SiloLoad? Least(IEnumerable<SiloLoad> loads) =>
        loads.OrderBy(l => l.FillWithOneMore).ThenBy(l => l.Cameras).ThenBy(l => l.Silo).FirstOrDefault();

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Every silo is full: camera '{Camera}' placed on {Silo} anyway ({Cameras} cameras, capacity {Capacity}). Add a silo or raise --capacity.")]
    private static partial void LogOverCapacity(ILogger logger, string camera, string silo, int cameras, int capacity);
}
