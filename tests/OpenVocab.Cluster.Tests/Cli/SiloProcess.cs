using System.Diagnostics;
using System.Text;
using OpenVocab.Cameras.Tests;
using OpenVocab.Tests;

namespace OpenVocab.Cluster.Tests.Cli;

/// <summary>
/// One <c>openvocab cluster silo</c> process (the built CLI, as users run it) on free loopback ports, tracked by
/// process id: killed with SIGKILL on request or in <see cref="Dispose"/>. Its log is kept for failure messages.
/// </summary>
internal sealed class SiloProcess : IDisposable
{
    private readonly string[] _args;
    private readonly StringBuilder _log = new();
    private Process? _process;

    private SiloProcess(string name, string[] args)
    {
        Name = name;
        _args = args;
    }

    public string Name { get; }

    public int GatewayPort { get; private init; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static SiloProcess Start(string name, string redis, int capacity, int mqttPort, params string[] extra)
    {
        var gateway = Loopback.FreePort();
        string[] args =
        [
            "cluster", "silo", "--redis", redis, "--name", name, "--capacity", capacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--port", Loopback.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gateway-port", gateway.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--mqtt", $"127.0.0.1:{mqttPort}", "--model", TestPaths.ShapesPack, .. extra,
        ];
        var silo = new SiloProcess(name, args) { GatewayPort = gateway };
        silo.Restart();
        return silo;
    }

    /// <summary>Starts the process (again) with the same name and ports, and waits until its gateway accepts connections.</summary>
    public void Restart()
    {
        Assert.True(_process is null || _process.HasExited, $"silo {Name} is still running");
        _process?.Dispose();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.RepoRoot };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "OpenVocab.Cli.dll"));
        foreach (var a in _args)
        {
            start.ArgumentList.Add(a);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!Listening(GatewayPort))
        {
            Assert.False(_process.HasExited, $"silo {Name} exited with {(_process.HasExited ? _process.ExitCode : 0)}:\n{Log}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"silo {Name} did not open its gateway within 90 s:\n{Log}");
            Thread.Sleep(200);
        }
    }

    /// <summary>SIGKILL: no goodbye to the cluster, as when a machine dies.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            Assert.True(p.WaitForExit(10_000), $"silo {Name} ({p.Id}) did not exit");
        }
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
