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
    private readonly DaemonProcess _process;

    private Mosquitto(int port, string folder)
    {
        Port = port;
        _folder = folder;
        _process = new DaemonProcess(Path, ["-c", System.IO.Path.Combine(folder, "mosquitto.conf")]);
    }

    public static bool Installed => File.Exists(Path);

    public int Port { get; }

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
        _process.Start();
        Loopback.WaitForListener(Port, TimeSpan.FromSeconds(10));
    }

    /// <summary>Kills the broker (SIGKILL): no clean shutdown, as in a crash.</summary>
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
                // A file still being written by the dying broker: the temp folder is cleaned up later.
            }
        }
    }
}
