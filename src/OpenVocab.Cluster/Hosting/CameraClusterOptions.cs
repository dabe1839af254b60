using StackExchange.Redis;

namespace OpenVocab.Cluster.Hosting;

/// <summary>
/// Where a cluster lives, the same for its silos and its clients: the Redis server that holds membership, camera
/// state and reminders, and the cluster's ids. Immutable; checked when a silo or client is built.
/// </summary>
public sealed record CameraClusterOptions
{
    /// <summary>Creates the options for the Redis server at <paramref name="redis"/>.</summary>
    /// <param name="redis">HOST:PORT, or any StackExchange.Redis configuration string (password=..., ssl=true).</param>
    public CameraClusterOptions(string redis)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(redis);
        Redis = redis;
    }

    /// <summary>The Redis configuration string.</summary>
    public string Redis { get; }

    /// <summary>The cluster's id: silos and clients with the same id (and Redis) form one cluster. Default <c>openvocab</c>.</summary>
    public string ClusterId { get; init; } = "openvocab";

    /// <summary>The service id, which keys the persistent state and reminders in Redis; keep it across deployments. Default <c>openvocab</c>.</summary>
    public string ServiceId { get; init; } = "openvocab";

    /// <summary>
    /// The Redis settings every Orleans provider uses. AbortOnConnectFail is off so that a silo or client keeps
    /// reconnecting through a Redis outage instead of failing for good; the connect timeout keeps a call that cannot
    /// reach Redis short, so that a change made during an outage fails with a clear error rather than hanging.
    /// </summary>
    /// <exception cref="ArgumentException">The configuration string cannot be read.</exception>
    public ConfigurationOptions RedisConfiguration()
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(Redis);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--redis '{Redis}' is not a Redis address: {e.Message}; expected HOST:PORT.", e);
        }

        if (options.EndPoints.Count == 0)
        {
            throw new ArgumentException($"--redis '{Redis}' names no server; expected HOST:PORT.");
        }

        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 3000;
        options.SyncTimeout = 3000;
        options.AsyncTimeout = 3000;
        return options;
    }
}
