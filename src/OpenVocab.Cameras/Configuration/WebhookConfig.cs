namespace OpenVocab.Cameras.Configuration;

/// <summary>Where events are POSTed. Immutable.</summary>
/// <param name="Url">An http or https URL.</param>
public sealed record WebhookConfig(Uri Url)
{
    /// <summary>Tries per event before it is dropped (and counted). Default 8.</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>Wait before the first retry; doubles per retry up to <see cref="MaxBackoff"/>. Default 0.2 s.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between retries. Default 10 s.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Events waiting to be sent; when full the oldest is dropped (and counted). Default 10,000.</summary>
    public int QueueCapacity { get; init; } = 10_000;

    /// <summary>Time allowed for one request. Default 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}
