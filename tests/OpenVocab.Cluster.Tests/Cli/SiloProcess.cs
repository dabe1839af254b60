using System.Diagnostics;
using OpenVocab.Cameras.Tests;
using OpenVocab.Tests;

namespace OpenVocab.Cluster.Tests.Cli;

/// <summary>
/// One <c>openvocab cluster silo</c> process (the built CLI, as users run it) on free loopback ports, tracked by
/// process id: killed with SIGKILL on request or in <see cref="Dispose"/>. Its log is kept for failure messages.
/// </summary>
internal sealed class SiloProcess : IDisposable
{
    private readonly DaemonProcess _process;

    private SiloProcess(string name, int gatewayPort, string[] args)
    {
        Name = name;
        GatewayPort = gatewayPort;
        _process = new DaemonProcess("dotnet", [Path.Combine(AppContext.BaseDirectory, "OpenVocab.Cli.dll"), .. args], TestPaths.RepoRoot);
    }

    public string Name { get; }

    public int GatewayPort { get; }

    public string Log => _process.Log;

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
        var silo = new SiloProcess(name, gateway, args);
        silo.Restart();
        return silo;
    }

    /// <summary>Starts the process (again) with the same name and ports, and waits until its gateway accepts connections.</summary>
    public void Restart()
    {
        _process.Start();
        var clock = Stopwatch.StartNew();
        while (!Listening(GatewayPort))
        {
            Assert.False(_process.HasExited, $"silo {Name} exited with {_process.ExitCode}:\n{Log}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(180), $"silo {Name} did not open its gateway within 180 s:\n{Log}");
            Thread.Sleep(200);
        }
    }

    /// <summary>SIGKILL: no goodbye to the cluster, as when a machine dies.</summary>
    public void Kill() => _process.Kill();

    public void Dispose() => _process.Dispose();

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
}
