using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace OpenVocab.Cameras.Tests.Events;

/// <summary>
/// A test subscriber with a persistent session (clean start off, one hour expiry), QoS 1, that reconnects by itself
/// when the broker comes back, and records every message it gets, in arrival order.
/// </summary>
internal sealed class MqttSubscriber : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly MqttClientOptions _options;
    private readonly string[] _topics;
    private readonly List<(string Topic, string Payload, bool Retained)> _messages = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _reconnect;

    private MqttSubscriber(int port, string[] topics)
    {
        _topics = topics;
        _options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId("openvocab-test-subscriber-" + Guid.NewGuid().ToString("N")[..8])
            .WithCleanStart(false)
            .WithSessionExpiryInterval(3600)
            .WithTimeout(TimeSpan.FromSeconds(2))
            .Build();
        _client.ApplicationMessageReceivedAsync += e =>
        {
            lock (_messages)
            {
                _messages.Add((e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload), e.ApplicationMessage.Retain));
            }

            return Task.CompletedTask;
        };
    }

    public IReadOnlyList<(string Topic, string Payload, bool Retained)> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    public static async Task<MqttSubscriber> ConnectAsync(int port, params string[] topics)
    {
        var subscriber = new MqttSubscriber(port, topics);
        await subscriber._client.ConnectAsync(subscriber._options);
        await subscriber.SubscribeAsync();
        subscriber._reconnect = Task.Run(subscriber.KeepConnectedAsync);
        return subscriber;
    }

    /// <summary>Waits (bounded) until <paramref name="done"/> holds for the messages so far.</summary>
    public async Task<bool> WaitForAsync(Func<IReadOnlyList<(string Topic, string Payload, bool Retained)>, bool> done, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (done(Messages))
            {
                return true;
            }

            await Task.Delay(50);
        }

        return done(Messages);
    }

    /// <summary>For each reconnection, whether the broker still had the session.</summary>
    public List<bool> Reconnects { get; } = [];

    private async Task SubscribeAsync()
    {
        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var t in _topics)
        {
            subscribe.WithTopicFilter(t, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await _client.SubscribeAsync(subscribe.Build());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_reconnect is not null)
        {
            await _reconnect;
        }

        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
        }

        _client.Dispose();
        _stop.Dispose();
    }

    private async Task KeepConnectedAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (!_client.IsConnected)
            {
                try
                {
                    var result = await _client.ConnectAsync(_options, _stop.Token);
                    Reconnects.Add(result.IsSessionPresent);
                    if (!result.IsSessionPresent)
                    {
                        await SubscribeAsync();
                    }
                }
                catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
                {
                    // Broker still down.
                }
            }

            try
            {
                await Task.Delay(100, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
