using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.TestingHost;
using OpenVocab.Cluster.Client;
using OpenVocab.Cluster.Hosting;
using OpenVocab.Tests;

namespace OpenVocab.Cluster.Tests.Grains;

/// <summary>
/// Two in-process silos (Orleans' TestingHost) on a real redis-server, configured exactly as the CLI's silos are
/// (<see cref="CameraSilo.Configure"/>), each with capacity <see cref="Capacity"/> and the shipped pack; plus a
/// <see cref="CameraClusterClient"/> as the CLI and server use. Shared by the grain tests of one class.
/// </summary>
public sealed class GrainCluster : IAsyncLifetime
{
    public const int Capacity = 2;
    private RedisServer? _redis;

    public TestCluster Cluster { get; private set; } = null!;

    public CameraClusterClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _redis = RedisServer.Start();
        var id = "grains-" + Guid.NewGuid().ToString("N")[..8];
        var builder = new TestClusterBuilder(2);
        builder.Options.ClusterId = id;
        builder.Options.ServiceId = id;
        builder.Options.UseTestClusterMembership = false;
        builder.Properties["redis"] = _redis.Address;
        builder.AddSiloBuilderConfigurator<Silos>();
        builder.AddClientBuilderConfigurator<Clients>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        // In-process test silos talk over an in-memory transport, so the test cluster's own (Redis-configured) client is the way in.
        Client = CameraClusterClient.Over(Cluster.Client);
    }

    /// <summary>The silo (name) whose camera host runs <paramref name="camera"/>, for each silo that runs it.</summary>
    public IReadOnlyList<string> SilosRunning(string camera) =>
        [.. Cluster.Silos.OfType<InProcessSiloHandle>().Select(s => s.SiloHost.Services.GetRequiredService<SiloCameras>())
            .Where(c => c.Running?.Find(camera) is not null).Select(c => c.SiloName)];

    /// <summary>Cameras per silo name.</summary>
    public IReadOnlyDictionary<string, int> CamerasPerSilo() =>
        Cluster.Silos.OfType<InProcessSiloHandle>().Select(s => s.SiloHost.Services.GetRequiredService<SiloCameras>())
            .ToDictionary(c => c.SiloName, c => c.Running?.Cameras.Count ?? 0);

    /// <summary>
    /// Removes every camera and waits (bounded) until no camera activation is left anywhere, so that a test's
    /// placement starts from empty silos (a removed camera's activation lingers while it stops).
    /// </summary>
    public async Task RemoveAllAsync()
    {
        foreach (var camera in await Client.ListAsync())
        {
            await Client.RemoveAsync(camera.Name);
        }

        var cameraType = GrainType.Create(OpenVocab.Cluster.Grains.CameraGrain.TypeName);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await Cluster.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics()).Any(s => s.GrainId.Type == cameraType))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "camera activations did not go away within 60 s of their removal");
            await Task.Delay(100);
        }
    }

    public static string Definition(string source = "shapes_walk.mp4", string extra = "") =>
        $"{{source: '{Path.Combine(TestPaths.Samples, source)}', loop: true, realtime: true, stride: 2, classes: 'red circle, blue square'{extra}}}";

    public async Task DisposeAsync()
    {
        try
        {
            if (Client is not null)
            {
                await Client.DisposeAsync();
            }

            if (Cluster is not null)
            {
                await Cluster.StopAllSilosAsync();
                await Cluster.DisposeAsync();
            }
        }
        finally
        {
            _redis?.Dispose();
        }
    }

    private sealed class Silos : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var options = siloBuilder.Configuration;
            CameraSilo.Configure(siloBuilder,
                new CameraClusterOptions(options["redis"]!) { ClusterId = options["Orleans:ClusterId"] ?? options["ClusterId"]!, ServiceId = options["Orleans:ServiceId"] ?? options["ServiceId"]! },
                new CameraSiloOptions { Capacity = Capacity, Model = TestPaths.ShapesPack, RebalanceInterval = TimeSpan.FromHours(1) });
        }
    }

    private sealed class Clients : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.UseRedisClustering(o => o.ConfigurationOptions = new CameraClusterOptions(configuration["redis"]!).RedisConfiguration());
    }
}
