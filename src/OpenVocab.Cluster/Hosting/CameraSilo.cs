using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService.SiloMetadata;
using OpenVocab.Cluster.Placement;

namespace OpenVocab.Cluster.Hosting;

/// <summary>
/// Builds a camera silo: Orleans with Redis membership, grain state and reminders, the capacity placement, the
/// rebalancer and the silo's one camera host. <see cref="Configure"/> is the one place these settings live (the CLI's
/// <c>cluster silo</c> and the tests' in-process silos both use it). Stateless and thread-safe.
/// </summary>
public static class CameraSilo
{
    /// <summary>The grain storage provider the camera grains and the registry persist to.</summary>
    public const string StorageName = "openvocab";

    /// <summary>The silo metadata key a silo publishes its capacity under.</summary>
    public const string CapacityKey = "openvocab.capacity";

    /// <summary>
    /// Adds the cluster's services and settings to a silo. Endpoints are not set here (see <see cref="Build"/>).
    /// Failure detection is tuned so that a killed silo is declared dead in seconds, not the defaults' minute or so;
    /// docs/cluster.md explains each value and its price.
    /// </summary>
    public static void Configure(ISiloBuilder silo, CameraClusterOptions cluster, CameraSiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(options);
        var redis = cluster.RedisConfiguration();
        silo.Services.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        if (options.Name is { } name)
        {
            silo.Services.Configure<SiloOptions>(o => o.SiloName = name);
        }

        silo.UseRedisClustering(o => o.ConfigurationOptions = redis)
            .AddRedisGrainStorage(StorageName, o => o.ConfigurationOptions = redis)
            .UseRedisReminderService(o => o.ConfigurationOptions = redis)
            .UseSiloMetadata(new Dictionary<string, string> { [CapacityKey] = options.Capacity.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            .AddPlacementDirector<CapacityPlacement, CapacityPlacementDirector>();
        silo.Services.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = options.ReminderPeriod);
        silo.Services.Configure<ClusterMembershipOptions>(o =>
        {
            // Probes go out about every ProbeTimeout; three missed ones make a silo suspect, and two votes (one when
            // only two silos are left) declare it dead. A killed process refuses connections at once, so this is
            // about 3-5 probe timeouts.
            o.ProbeTimeout = options.ProbeTimeout;
            o.NumMissedProbesLimit = 3;
            o.NumVotesForDeathDeclaration = 2;
            // Silos re-read the table (the slow path, for whoever missed the gossip) and publish their own heartbeat
            // every few seconds: one small Redis write per silo each time.
            o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
            o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
            o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);
            // Dead silos' rows go after an hour: a restart on the same port is a new generation anyway.
            o.DefunctSiloExpiration = TimeSpan.FromHours(1);
        });
        silo.Services.AddSingleton(options);
        silo.Services.AddSingleton<ClusterLoad>();
        silo.Services.AddSingleton<SiloCameras>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloCameras>());
        silo.Services.AddHostedService<Rebalancer>();
    }

    /// <summary>A host that runs one silo at <see cref="CameraSiloOptions.Address"/> on its silo and gateway ports.</summary>
    /// <param name="cluster">Where the cluster lives.</param>
    /// <param name="options">This silo's settings.</param>
    /// <param name="logging">Sets up logging (the CLI's console logger); null logs nothing.</param>
    public static IHost Build(CameraClusterOptions cluster, CameraSiloOptions options, Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        builder.UseOrleans(silo =>
        {
            silo.ConfigureEndpoints(options.Address, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: false);
            Configure(silo, cluster, options);
        });
        return builder.Build();
    }
}
