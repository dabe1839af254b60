using System.Diagnostics;

namespace OpenVocab.Cameras.Tests.Events;

/// <summary>
/// A real Mosquitto broker on a free 127.0.0.1 port, with its own config and persistence folder, tracked by process
/// id and killed in <see cref="Dispose"/>. Persistence (saved every second) lets a subscriber's session and its queued
/// QoS 1 messages survive a killed broker, as a production broker's would.
/// </summary>
internal sealed class Mosquitto : IDisposable
{
    public const string Path = "/usr/sbin/mosquitto";
    private readonly string _folder;
    private Process? _process;

    private Mosquitto(int port, string folder)
    {
        Port = port;
        _folder = folder;
    }

    public static bool Installed => File.Exists(Path);

    public int Port { get; }

    public int ProcessId => _process?.Id ?? 0;

    public static Mosquitto Start()
    {
        var folder = Directory.CreateTempSubdirectory("openvocab-mosquitto-").FullName;
        var broker = new Mosquitto(Loopback.FreePort(), folder);
        File.WriteAllText(System.IO.Path.Combine(folder, "mosquitto.conf"), $"""
            listener {broker.Port} 127.0.0.1
            allow_anonymous true
            persistence true
            persistence_location {folder}/
            autosave_interval 1
            max_queued_messages 100000
            log_dest none

            """);
        broker.Restart();
        return broker;
    }

    /// <summary>Starts the broker (again) on the same port with the same persistence.</summary>
    public void Restart()
    {
        Assert.True(_process is null || _process.HasExited, "the broker is still running");
        _process?.Dispose();
        var start = new ProcessStartInfo(Path) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(System.IO.Path.Combine(_folder, "mosquitto.conf"));
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, _) => { };
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        Loopback.WaitForListener(Port, TimeSpan.FromSeconds(10));
    }

    /// <summary>Kills the broker (SIGKILL): no clean shutdown, as in a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            Assert.True(p.WaitForExit(5000), $"mosquitto {p.Id} did not exit");
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
                // A file still being written by the dying broker: the temp folder is cleaned up later.
            }
        }
    }
}
