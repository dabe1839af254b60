namespace OpenVocab.Cameras.Tests.Events;

/// <summary>
/// A real Mosquitto broker on a free 127.0.0.1 port, with its own config and persistence folder. Persistence (saved
/// every second) lets a subscriber's session and its queued QoS 1 messages survive a killed broker, as a production
/// broker's would.
/// </summary>
internal sealed class Mosquitto : LoopbackDaemon
{
    public const string Path = "/usr/sbin/mosquitto";

    private Mosquitto()
        : base(Path, "openvocab-mosquitto-", (_, folder) => ["-c", System.IO.Path.Combine(folder, "mosquitto.conf")])
    {
    }

    public static bool Installed => File.Exists(Path);

    public static Mosquitto Start()
    {
        var broker = new Mosquitto();
        File.WriteAllText(System.IO.Path.Combine(broker.Folder, "mosquitto.conf"), $"""
            listener {broker.Port} 127.0.0.1
            allow_anonymous true
            persistence true
            persistence_location {broker.Folder}/
            autosave_interval 1
            max_queued_messages 100000
            log_dest none

            """);
        broker.Restart();
        return broker;
    }
}
