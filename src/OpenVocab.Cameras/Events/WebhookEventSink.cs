using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using OpenVocab.Cameras.Configuration;

namespace OpenVocab.Cameras.Events;

/// <summary>
/// POSTs each event as JSON (<see cref="EventJson"/>) to a URL, in order, one request per event, with the event id in
/// an <c>Idempotency-Key</c> header. A failed attempt (connection error, timeout, 408, 429 or 5xx) is retried with
/// exponential backoff up to <see cref="WebhookConfig.MaxAttempts"/>; any other 4xx means the receiver will never
/// take it, so it is dropped at once. Counts are not sent. A receiver that answers 2xx has the event exactly once;
/// one that fails after processing may see it again, with the same key.
/// </summary>
public sealed partial class WebhookEventSink : EventSink
{
    private readonly WebhookConfig _config;
    private readonly HttpClient _http;

    private WebhookEventSink(WebhookConfig config, ILogger? logger)
        : base(config.Url.ToString(), config.QueueCapacity, logger)
    {
        _config = config;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = config.Timeout };
    }

    /// <summary>Creates the sink and starts its loop.</summary>
    public static WebhookEventSink Start(WebhookConfig config, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var sink = new WebhookEventSink(config, logger);
        sink.Start();
        return sink;
    }

    /// <inheritdoc/>
    protected override async Task SendAsync(SinkMessage message, CancellationToken cancellationToken)
    {
        if (message.IsCounts)
        {
            return;
        }

        var delay = _config.InitialBackoff;
        for (var attempt = 1; ; attempt++)
        {
            string failure;
            try
            {
                using var content = new ReadOnlyMemoryContent(message.Payload);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var request = new HttpRequestMessage(HttpMethod.Post, _config.Url) { Content = content };
                request.Headers.Add("Idempotency-Key", message.Id);
                using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    CountDelivered(message);
                    return;
                }

                var code = (int)response.StatusCode;
                failure = $"HTTP {code} {response.ReasonPhrase}";
                if (code is >= 400 and < 500 && response.StatusCode is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests))
                {
                    CountDropped(message, $"the receiver refused it ({failure})");
                    return;
                }
            }
            catch (HttpRequestException e)
            {
                failure = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failure = $"no answer within {_config.Timeout.TotalSeconds:0.#} s";
            }

            if (attempt >= _config.MaxAttempts)
            {
                CountDropped(message, $"{attempt} attempts failed, the last with {failure}");
                return;
            }

            if (attempt == 1)
            {
                CountOutage();
            }

            CountRetry();
            LogRetry(Logger, Name, message.Id ?? "", attempt, failure, delay.TotalSeconds);
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _config.MaxBackoff.Ticks));
        }
    }

    /// <inheritdoc/>
    protected override async ValueTask DisposeCoreAsync()
    {
        _http.Dispose();
        await base.DisposeCoreAsync().ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Webhook {Sink}: event {Id} attempt {Attempt} failed ({Failure}); retrying in {Seconds:0.0##} s.")]
    private static partial void LogRetry(ILogger logger, string sink, string id, int attempt, string failure, double seconds);
}
