using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using OpenVocab.Cameras.Configuration;

namespace OpenVocab.Cameras.Events;

/// <summary>
/// Publishes events to an MQTT broker with QoS 1: <c>{prefix}/{camera}/events</c> for each event (in order) and
/// <c>{prefix}/{camera}/counts</c> (retained, latest wins) for counts. <c>{prefix}/availability</c> is retained
/// <c>online</c> while connected, and the broker's last will sets it to <c>offline</c> if the process dies.
/// While the broker is away events go to a bounded on-disk queue; when it returns a gap report goes to
/// <c>{prefix}/gaps</c>, then the queue is sent in order before any newer event. Counts are not queued (stale counts
/// are of no use). A message whose PUBACK was lost with the connection is sent again, so a subscriber may see an
/// event twice, as QoS 1 allows: de-duplicate by the event id.
/// </summary>
public sealed partial class MqttEventSink : EventSink
{
    private static readonly byte[] Online = Encoding.ASCII.GetBytes("online");
    private static readonly byte[] Offline = Encoding.ASCII.GetBytes("offline");
    private readonly MqttConfig _config;
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly DiskMessageQueue _disk;
    private readonly List<BrokerGap> _gaps = [];
    private DateTimeOffset? _outageSince;
    private long _outageQueued;
    private long _outageDropped;
    private long _nextAttempt;
    private int _attempt;
    private bool _connected;

    private MqttEventSink(MqttConfig config, ILogger? logger)
        : base($"mqtt://{config.Host}:{config.Port}", 10_000, logger)
    {
        _config = config;
        _client = new MqttClientFactory().CreateMqttClient();
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(config.Host, config.Port)
            .WithClientId(config.ClientId)
            .WithCleanStart(true)
            .WithTimeout(TimeSpan.FromSeconds(3))
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(5))
            .WithWillTopic(AvailabilityTopic)
            .WithWillPayload(Offline)
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (config.Username is not null)
        {
            builder = builder.WithCredentials(config.Username, config.Password ?? "");
        }

        _options = builder.Build();
        var folder = config.QueueDirectory ?? Path.Combine(Path.GetTempPath(), "openvocab-mqtt-queue", config.ClientId);
        _disk = new DiskMessageQueue(folder, config.QueueLimit);
    }

    /// <summary>The retained availability topic.</summary>
    public string AvailabilityTopic => $"{_config.TopicPrefix}/availability";

    /// <summary>Where gap reports go.</summary>
    public string GapTopic => $"{_config.TopicPrefix}/gaps";

    /// <summary>Broker outages seen so far, each with how many events were queued and dropped meanwhile.</summary>
    public IReadOnlyList<BrokerGap> Gaps
    {
        get
        {
            lock (_gaps)
            {
                return [.. _gaps];
            }
        }
    }

    /// <inheritdoc/>
    protected override long Backlog => _disk.Count;

    /// <inheritdoc/>
    protected override bool IsConnected => Volatile.Read(ref _connected);

    /// <summary>
    /// Creates the sink and starts its loop; it connects in the background (a broker that is down at start is an
    /// outage like any other). Events left on disk by an earlier run are sent first.
    /// </summary>
    public static MqttEventSink Start(MqttConfig config, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var sink = new MqttEventSink(config, logger);
        sink.Start();
        return sink;
    }

    /// <summary>The events topic of <paramref name="camera"/>.</summary>
    public string EventsTopic(string camera) => $"{_config.TopicPrefix}/{camera}/events";

    /// <summary>The counts topic of <paramref name="camera"/>.</summary>
    public string CountsTopic(string camera) => $"{_config.TopicPrefix}/{camera}/counts";

    /// <inheritdoc/>
    protected override async Task SendAsync(SinkMessage message, CancellationToken cancellationToken)
    {
        if (message.IsCounts)
        {
            // Latest wins: only when nothing older waits, and never queued.
            if (_disk.Count == 0 && await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false))
            {
                await PublishAsync(CountsTopic(message.Camera), message.Payload, retain: true, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var topic = EventsTopic(message.Camera);
        if (_disk.Count == 0 && await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false) &&
            await PublishAsync(topic, message.Payload, retain: false, cancellationToken).ConfigureAwait(false) is { } ok)
        {
            if (ok)
            {
                CountDelivered(message);
            }
            else
            {
                CountDropped(message, "the broker refused it");
            }

            return;
        }

        // Broker away, or older events still on disk: keep the order by queueing behind them.
        var dropped = _disk.Enqueue(topic, message.Payload.Span);
        _outageQueued++;
        if (dropped > 0)
        {
            _outageDropped += dropped;
            CountDropped(dropped, $"the on-disk queue is full ({_config.QueueLimit} messages)");
        }

        await DrainAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override Task IdleAsync(CancellationToken cancellationToken) => DrainAsync(cancellationToken);

    /// <inheritdoc/>
    protected override async ValueTask DisposeCoreAsync()
    {
        if (_client.IsConnected)
        {
            try
            {
                // A clean disconnect does not fire the will, so say offline ourselves.
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _client.PublishAsync(Message(AvailabilityTopic, Offline, retain: true), timeout.Token).ConfigureAwait(false);
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
            {
                LogDisconnectFailed(Logger, e, Name);
            }
        }

        _client.Dispose();
        await base.DisposeCoreAsync().ConfigureAwait(false);
    }

    /// <summary>Sends queued messages in order, a bounded number per call so new events keep being taken in.</summary>
    private async Task DrainAsync(CancellationToken token)
    {
        if (_disk.Count == 0 || !await EnsureConnectedAsync(token).ConfigureAwait(false))
        {
            return;
        }

        for (var sent = 0; sent < 256 && _disk.TryPeek(out var topic, out var payload); sent++)
        {
            if (await PublishAsync(topic, payload, retain: false, token).ConfigureAwait(false) is not { } ok)
            {
                return; // lost the connection again: stays at the head of the queue
            }

            _disk.RemoveHead();
            if (ok)
            {
                CountDelivered(1);
            }
            else
            {
                CountDropped(1, "the broker refused it");
            }
        }
    }

    /// <summary>True when delivered, false when the broker refused it for good, null when the connection failed (not delivered).</summary>
    private async Task<bool?> PublishAsync(string topic, ReadOnlyMemory<byte> payload, bool retain, CancellationToken token)
    {
        try
        {
            var result = await _client.PublishAsync(Message(topic, payload, retain), token).ConfigureAwait(false);
            // Reason codes below 0x80 are successes (0x10 "no matching subscribers" included).
            if ((int)result.ReasonCode < 0x80)
            {
                return true;
            }

            LogRefused(Logger, Name, topic, result.ReasonCode.ToString());
            return false;
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or MQTTnet.Exceptions.MqttClientNotConnectedException or
                                       OperationCanceledException && !token.IsCancellationRequested ||
                                   e is not OperationCanceledException && !_client.IsConnected)
        {
            // Whatever the exception's type, a publish that failed as the connection went is a connection failure: the
            // message is kept and sent again (QoS 1 allows the duplicate), never counted as dropped while the broker may
            // well have it. Only a failure on a live connection falls through to the caller's drop.
            MarkDown(e.Message);
            return null;
        }
    }

    private async Task<bool> EnsureConnectedAsync(CancellationToken token)
    {
        if (_client.IsConnected)
        {
            return true;
        }

        if (_connected)
        {
            MarkDown("the connection was lost");
        }

        if (Stopwatch.GetTimestamp() < _nextAttempt)
        {
            return false;
        }

        try
        {
            await _client.ConnectAsync(_options, token).ConfigureAwait(false);
            await _client.PublishAsync(Message(AvailabilityTopic, Online, retain: true), token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException && !token.IsCancellationRequested)
        {
            MarkDown(e.Message);
            _attempt++;
            var delay = TimeSpan.FromMilliseconds(Math.Min(250 * Math.Pow(2, Math.Min(_attempt - 1, 10)), 5000));
            _nextAttempt = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
            if (_attempt == 1)
            {
                LogConnectFailed(Logger, Name, e.Message);
            }

            return false;
        }

        _attempt = 0;
        Volatile.Write(ref _connected, true);
        if (_outageSince is { } since)
        {
            var gap = new BrokerGap(since, DateTimeOffset.UtcNow, _outageQueued, _outageDropped);
            lock (_gaps)
            {
                _gaps.Add(gap);
            }

            LogGap(Logger, Name, (gap.To - gap.From).TotalSeconds, gap.Queued, gap.Dropped);
            _outageSince = null;
            await _client.PublishAsync(Message(GapTopic, EventJson.SerializeGap(gap.From, gap.To, gap.Queued, gap.Dropped), retain: false), token).ConfigureAwait(false);
        }
        else
        {
            LogConnected(Logger, Name);
        }

        return true;
    }

    private void MarkDown(string reason)
    {
        Volatile.Write(ref _connected, false);
        if (_outageSince is null)
        {
            _outageSince = DateTimeOffset.UtcNow;
            _outageQueued = 0;
            _outageDropped = 0;
            CountOutage();
            LogDown(Logger, Name, reason);
        }
    }

    private static MqttApplicationMessage Message(string topic, ReadOnlyMemory<byte> payload, bool retain) => new MqttApplicationMessageBuilder()
        .WithTopic(topic)
        .WithPayloadSegment(payload)
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .WithRetainFlag(retain)
        .Build();

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "MQTT sink connected to {Sink}.")]
    private static partial void LogConnected(ILogger logger, string sink);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "MQTT broker {Sink} unreachable ({Reason}); events go to the on-disk queue until it returns.")]
    private static partial void LogDown(ILogger logger, string sink, string reason);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "MQTT broker {Sink} could not be reached: {Reason}; retrying with backoff.")]
    private static partial void LogConnectFailed(ILogger logger, string sink, string reason);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "MQTT broker {Sink} is back after a gap of {Seconds:0.0} s: {Queued} events were queued on disk, {Dropped} dropped; sending the queue in order.")]
    private static partial void LogGap(ILogger logger, string sink, double seconds, long queued, long dropped);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Error, Message = "MQTT broker {Sink} refused a message on '{Topic}': {Reason}.")]
    private static partial void LogRefused(ILogger logger, string sink, string topic, string reason);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Warning, Message = "MQTT sink {Sink} did not disconnect cleanly.")]
    private static partial void LogDisconnectFailed(ILogger logger, Exception exception, string sink);
}
