using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using OpenVocab.Cluster.Grains;
using OpenVocab.Cluster.Hosting;

namespace OpenVocab.Cluster.Client;

/// <summary>
/// The cluster's control plane from outside: an Orleans client that finds the silos' gateways through Redis and
/// adds, re-classes, removes and lists cameras. Used by the CLI's <c>cluster</c> verbs and the server's
/// <c>/v1/cameras</c> when it fronts a cluster. Thread-safe; dispose it to disconnect.
/// </summary>
public sealed class CameraClusterClient : IAsyncDisposable
{
    private readonly IHost? _host;
    private readonly IClusterClient _client;

    private CameraClusterClient(IHost? host, IClusterClient client)
    {
        _host = host;
        _client = client;
    }

    /// <summary>A control plane over an Orleans client that is already connected (a co-hosted client, a test cluster's); not owned.</summary>
    public static CameraClusterClient Over(IClusterClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return new CameraClusterClient(null, client);
    }

    /// <summary>Connects to the cluster.</summary>
    /// <param name="options">Where the cluster lives.</param>
    /// <param name="timeout">How long to try.</param>
    /// <param name="logging">Sets up the client's logging; null logs nothing.</param>
    /// <param name="cancellationToken">Stops trying.</param>
    /// <exception cref="InvalidOperationException">No silo could be reached within <paramref name="timeout"/> (Redis down, no silo running); the message says which cluster and Redis.</exception>
    public static async Task<CameraClusterClient> ConnectAsync(CameraClusterOptions options, TimeSpan timeout, Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var redis = options.RedisConfiguration();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        builder.UseOrleansClient(client =>
        {
            client.Services.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });
            client.UseRedisClustering(o => o.ConfigurationOptions = redis);
        });
        var host = builder.Build();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await host.StartAsync(limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            var why = e is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0} s" : e.Message;
            throw new InvalidOperationException(
                $"Cannot reach cluster '{options.ClusterId}' through Redis {options.Redis}: {why}. Is Redis up, and is at least one 'openvocab cluster silo' running?", e);
        }

        return new CameraClusterClient(host, host.Services.GetRequiredService<IClusterClient>());
    }

    /// <summary>Defines (or redefines) a camera from its definition text; see <see cref="ICameraGrain.DefineAsync"/>.</summary>
    public Task<CameraInfo> AddAsync(string name, string definition) => Call(() => Camera(name).DefineAsync(definition));

    /// <summary>Stops and forgets a camera; false when there was none.</summary>
    public Task<bool> RemoveAsync(string name) => Call(() => Camera(name).RemoveAsync());

    /// <summary>Changes a camera's classes; see <see cref="ICameraGrain.SetClassesAsync"/>.</summary>
    public Task<CameraInfo> SetClassesAsync(string name, string classes) => Call(() => Camera(name).SetClassesAsync(classes));

    /// <summary>One camera's status.</summary>
    /// <exception cref="KeyNotFoundException">No camera by that name.</exception>
    public Task<CameraInfo> GetAsync(string name) => Call(() => Camera(name).GetStatusAsync());

    /// <summary>Every configured camera's status, by name.</summary>
    public async Task<IReadOnlyList<CameraInfo>> ListAsync()
    {
        var names = await Call(() => _client.GetGrain<ICameraRegistryGrain>(ICameraRegistryGrain.Key).ListAsync()).ConfigureAwait(false);
        var infos = await Task.WhenAll(names.Select(async n =>
        {
            try
            {
                return await GetAsync(n).ConfigureAwait(false);
            }
            catch (KeyNotFoundException)
            {
                return null; // removed since the list was read
            }
        })).ConfigureAwait(false);
        return [.. infos.OfType<CameraInfo>()];
    }

    /// <summary>The active silos, by name.</summary>
    /// <exception cref="InvalidOperationException">The membership table could not be read from Redis for 5 s.</exception>
    public async Task<IReadOnlyList<string>> SilosAsync()
    {
        // The names come from the membership table in Redis. Just after a Redis outage the silo's connection may still
        // be down, and the Redis client's exception cannot cross to this process; a read is safe to try again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var hosts = await Call(() => _client.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true)).ConfigureAwait(false);
                return [.. hosts.Select(h => h.SiloName).Order(StringComparer.Ordinal)];
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (attempt == 5)
                {
                    throw new InvalidOperationException($"The cluster's membership could not be read from Redis: {e.Message}", e);
                }

                await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Disconnects (when this object made the connection).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_host is null)
        {
            return;
        }

        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        finally
        {
            _host.Dispose();
        }
    }

    /// <summary>
    /// Makes a call, again (up to 5 times, a second apart) when it could not be sent because the gateway it went to
    /// has died and the client has not yet dropped it: the request never left, so sending it again is safe.
    /// </summary>
    private static async Task<T> Call<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < 5 && e is Orleans.Runtime.Messaging.ConnectionFailedException or SiloUnavailableException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
        }
    }

    private ICameraGrain Camera(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return _client.GetGrain<ICameraGrain>(name);
    }
}
