using System.Collections.Concurrent;
using System.Text.Json;
using OpenVocab.Cameras.Events;

namespace OpenVocab.Cluster.Hosting;

/// <summary>
/// An in-memory event output that keeps, per camera, when its last event left this silo and its kind, for
/// <c>status</c>. Posting never blocks (the base class's queue); reading is thread-safe.
/// </summary>
internal sealed class LastEventSink : EventSink
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, string Kind)> _last = new(StringComparer.Ordinal);

    private LastEventSink()
        : base("last-event", 1024, null)
    {
    }

    public static LastEventSink Create()
    {
        var sink = new LastEventSink();
        sink.Start();
        return sink;
    }

    public (DateTimeOffset At, string Kind)? Find(string camera) => _last.TryGetValue(camera, out var last) ? last : null;

    protected override Task SendAsync(SinkMessage message, CancellationToken cancellationToken)
    {
        if (!message.IsCounts)
        {
            using var json = JsonDocument.Parse(message.Payload);
            var kind = json.RootElement.TryGetProperty("kind", out var k) ? k.GetString() ?? "" : "";
            _last[message.Camera] = (DateTimeOffset.UtcNow, kind);
        }

        CountDelivered(message);
        return Task.CompletedTask;
    }
}
