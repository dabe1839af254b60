using System.Globalization;
using Microsoft.Extensions.Logging;
using OpenVocab.Cameras.Events;

namespace OpenVocab.Cameras.Configuration;

/// <summary>A cameras file: the cameras and where their events go. Immutable; see <see cref="CamerasConfigReader"/>.</summary>
public sealed record CamerasConfig
{
    /// <summary>Model pack folder; null for the caller's default.</summary>
    public string? Model { get; init; }

    /// <summary>The cameras.</summary>
    public IReadOnlyList<CameraConfig> Cameras { get; init; } = [];

    /// <summary>MQTT sink, or null.</summary>
    public MqttConfig? Mqtt { get; init; }

    /// <summary>Webhook sink, or null.</summary>
    public WebhookConfig? Webhook { get; init; }

    /// <summary>JSON Lines file that every event is appended to, or null.</summary>
    public string? JsonLines { get; init; }

    /// <summary>
    /// Starts the event outputs this file configures (JSON Lines, MQTT, webhook, in that order) and adds each to
    /// <paramref name="into"/> as soon as it runs, so that when a later one fails to start the caller still holds,
    /// and disposes, the ones already started. The sinks are the caller's.
    /// </summary>
    /// <param name="into">Receives the started sinks.</param>
    /// <param name="logger">Where the sinks log failures and drops.</param>
    public void StartSinks(ICollection<EventSink> into, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (JsonLines is { } jsonl)
        {
            into.Add(JsonLinesEventSink.Start(jsonl, logger));
        }

        if (Mqtt is { } mqtt)
        {
            into.Add(MqttEventSink.Start(mqtt, logger));
        }

        if (Webhook is { } webhook)
        {
            into.Add(WebhookEventSink.Start(webhook, logger));
        }
    }

    /// <summary>Every problem: each camera's (<see cref="CameraConfig.Validate"/>), duplicate camera names and sink settings.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var camera in Cameras)
        {
            if (!seen.Add(camera.Name))
            {
                errors.Add($"camera '{camera.Name}': name: duplicate camera name; expected each camera name once");
            }

            errors.AddRange(camera.Validate());
        }

        if (Mqtt is { } mqtt)
        {
            if (string.IsNullOrWhiteSpace(mqtt.Host))
            {
                errors.Add("mqtt.host: expected a host name or address");
            }

            if (mqtt.Port is < 1 or > 65535)
            {
                errors.Add($"mqtt.port: expected 1..65535, got {mqtt.Port}");
            }

            if (string.IsNullOrWhiteSpace(mqtt.TopicPrefix) || mqtt.TopicPrefix.IndexOfAny(['+', '#']) >= 0)
            {
                errors.Add("mqtt.topic_prefix: expected a topic without wildcards");
            }

            if (mqtt.QueueLimit < 1)
            {
                errors.Add(FormattableString.Invariant($"mqtt.queue_limit: expected at least 1, got {mqtt.QueueLimit}"));
            }
        }

        if (Webhook is { } hook)
        {
            if (!hook.Url.IsAbsoluteUri || (hook.Url.Scheme != Uri.UriSchemeHttp && hook.Url.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"webhook.url: expected an http or https URL, got '{hook.Url}'");
            }

            if (hook.MaxAttempts < 1)
            {
                errors.Add($"webhook.max_attempts: expected at least 1, got {hook.MaxAttempts}");
            }

            if (hook.QueueCapacity < 1)
            {
                errors.Add($"webhook.queue_capacity: expected at least 1, got {hook.QueueCapacity}");
            }

            if (hook.InitialBackoff < TimeSpan.Zero || hook.MaxBackoff < hook.InitialBackoff || hook.Timeout <= TimeSpan.Zero)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"webhook: expected 0 <= initial_backoff <= max_backoff and timeout > 0"));
            }
        }

        return errors;
    }
}
