using OpenVocab.Cameras.Tests;

namespace OpenVocab.Cluster.Tests;

/// <summary>
/// A real redis-server on a free 127.0.0.1 port with its own folder, tracked by process id and killed in
/// <see cref="Dispose"/>. Its append-only file is synced on every write, so a killed and restarted server comes back
/// with everything it acknowledged, as a production Redis with persistence would.
/// </summary>
internal sealed class RedisServer : IDisposable
{
    public const string Path = "/usr/bin/redis-server";
    private readonly string _folder;
    private readonly DaemonProcess _process;

    private RedisServer(int port, string folder)
    {
        Port = port;
        _folder = folder;
        _process = new DaemonProcess(Path, ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", folder,
            "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no"]);
    }

    public int Port { get; }

    /// <summary>HOST:PORT for the cluster options.</summary>
    public string Address => $"127.0.0.1:{Port}";

    public static RedisServer Start()
    {
        Assert.True(File.Exists(Path), $"{Path} is missing: run scripts/prerequisites.sh (it installs redis-server).");
        var server = new RedisServer(Loopback.FreePort(), Directory.CreateTempSubdirectory("openvocab-redis-").FullName);
        server.Restart();
        return server;
    }

    /// <summary>Starts the server (again) on the same port with the same data.</summary>
    public void Restart()
    {
        _process.Start();
        Loopback.WaitForListener(Port, TimeSpan.FromSeconds(10));
    }

    /// <summary>Kills the server (SIGKILL), as in a crash.</summary>
    public void Kill() => _process.Kill();

    public void Dispose()
    {
        try
        {
            _process.Dispose();
        }
        finally
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // Left to the temp cleaner.
            }
        }
    }
}
