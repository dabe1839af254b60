using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenVocab.Cluster.Grains;
using OpenVocab.Cluster.Hosting;

namespace OpenVocab.Cluster.Placement;

/// <summary>
/// Gradual rebalancing, e.g. after a silo joins: every <see cref="CameraSiloOptions.RebalanceInterval"/> each silo
/// looks at the cluster's load, and only the fullest silo acts, moving ONE of its cameras, and only when the move
/// leaves it no less full than the emptiest silo becomes (so moves never oscillate). The move deactivates the camera
/// and touches it again, so the capacity placement puts it on the silo with most room. One camera per interval
/// cluster-wide in the steady state: a join never stops every camera at once. A background loop on each silo; it
/// logs a failed round and tries again next interval.
/// </summary>
internal sealed partial class Rebalancer(
    ClusterLoad load, ILocalSiloDetails local, IGrainFactory grains, SiloCameras cameras, CameraSiloOptions options, ILogger<Rebalancer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RebalanceInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await RoundAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogRoundFailed(logger, e);
            }
        }
    }

    /// <summary>The move that one round would make from these loads: (from, to), or null when the cluster is balanced.</summary>
    internal static (SiloLoad From, SiloLoad To)? Move(IReadOnlyList<SiloLoad> loads)
    {
        if (loads.Count < 2)
        {
            return null;
        }

        var from = loads.OrderByDescending(l => l.Fill).ThenByDescending(l => l.Cameras).ThenBy(l => l.Silo).First();
        var to = CapacityPlacementDirector.Least(loads.Where(l => l != from))!;
        var fromAfter = (from.Cameras - 1) / (double)from.Capacity;
        return from.Cameras > 0 && fromAfter >= to.FillWithOneMore ? (from, to) : null;
    }

    private async Task RoundAsync()
    {
        var silos = load.ActiveSilos();
        var loads = await load.GetAsync(silos).ConfigureAwait(false);
        if (Move(loads) is not { } move || !move.From.Silo.Equals(local.SiloAddress))
        {
            return;
        }

        // The camera that started here last: the one whose move loses the least history.
        var running = cameras.Host.Cameras;
        if (running.Count == 0)
        {
            return;
        }

        var camera = running[^1];

        var grain = grains.GetGrain<ICameraGrain>(camera.Name);
        await grain.MoveAsync().ConfigureAwait(false);
        var info = await grain.GetStatusAsync().ConfigureAwait(false);
        LogMoved(logger, camera.Name, cameras.SiloName, info.Silo, move.From.Cameras, move.From.Capacity, move.To.Cameras, move.To.Capacity);
    }

    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Rebalanced camera '{Camera}' from {From} to {To} (this silo had {FromCameras}/{FromCapacity}, the emptiest {ToCameras}/{ToCapacity}).")]
    private static partial void LogMoved(ILogger logger, string camera, string from, string to, int fromCameras, int fromCapacity, int toCameras, int toCapacity);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "A rebalancing round failed; the next interval tries again.")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);
}
