using System.Globalization;
using OpenVocab.Cameras.Tests;

namespace OpenVocab.Cluster.Tests;

/// <summary>
/// A real redis-server on a free 127.0.0.1 port with its own folder. Its append-only file is synced on every write, so
/// a killed and restarted server comes back with everything it acknowledged, as a production Redis with persistence
/// would.
/// </summary>
internal sealed class RedisServer : LoopbackDaemon
{
    public const string Path = "/usr/bin/redis-server";

    private RedisServer()
        : base(Path, "openvocab-redis-", (port, folder) => ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", folder,
            "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no"])
    {
    }

    /// <summary>HOST:PORT for the cluster options.</summary>
    public string Address => $"127.0.0.1:{Port}";

    public static RedisServer Start()
    {
        Assert.True(File.Exists(Path), $"{Path} is missing: run scripts/prerequisites.sh (it installs redis-server).");
        var server = new RedisServer();
        server.Restart();
        return server;
    }
}
