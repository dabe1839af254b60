using System.Diagnostics;
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
    private Process? _process;

    private RedisServer(int port, string folder)
    {
        Port = port;
        _folder = folder;
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
        Assert.True(_process is null || _process.HasExited, "redis-server is still running");
        _process?.Dispose();
        var start = new ProcessStartInfo(Path) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _folder,
                     "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no" })
        {
            start.ArgumentList.Add(a);
        }

        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, _) => { };
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        Loopback.WaitForListener(Port, TimeSpan.FromSeconds(10));
    }

    /// <summary>Kills the server (SIGKILL), as in a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            Assert.True(p.WaitForExit(5000), $"redis-server {p.Id} did not exit");
        }
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        finally
        {
            _process?.Dispose();
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
