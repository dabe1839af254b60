namespace OpenVocab.Cameras.Configuration;

/// <summary>Where events go over MQTT. Immutable.</summary>
/// <param name="Host">Broker host name or address.</param>
public sealed record MqttConfig(string Host)
{
    /// <summary>Broker TCP port. Default 1883.</summary>
    public int Port { get; init; } = 1883;

    /// <summary>First topic level: events go to <c>{prefix}/{camera}/events</c>. Default <c>openvocab</c>.</summary>
    public string TopicPrefix { get; init; } = "openvocab";

    /// <summary>MQTT client id; also names the availability topic. Default <c>openvocab-cameras</c>.</summary>
    public string ClientId { get; init; } = "openvocab-cameras";

    /// <summary>User name, or null.</summary>
    public string? Username { get; init; }

    /// <summary>Password, or null.</summary>
    public string? Password { get; init; }

    /// <summary>Folder of the on-disk queue used while the broker is away; null uses a folder under the temp directory named by the client id.</summary>
    public string? QueueDirectory { get; init; }

    /// <summary>Most messages kept on disk while the broker is away; the oldest are dropped (and counted) beyond it. Default 100,000.</summary>
    public int QueueLimit { get; init; } = 100_000;
}
