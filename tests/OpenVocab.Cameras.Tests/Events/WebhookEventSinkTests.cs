using System.Diagnostics;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Events;
using OpenVocab.Tests;

namespace OpenVocab.Cameras.Tests.Events;

public class WebhookEventSinkTests
{
    [Fact]
    public async Task A_receiver_failing_its_first_calls_gets_every_event_once_in_order()
    {
        using var receiver = new WebhookReceiver(failFirst: 5);
        var sink = WebhookEventSink.Start(new WebhookConfig(receiver.Url) { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200) });
        var sent = Enumerable.Range(0, 40).Select(i => TestEvents.Make("door", i)).ToList();
        foreach (var e in sent)
        {
            sink.Post(TestEvents.Message(e));
        }

        Assert.True(await sink.FlushAsync(TimeSpan.FromSeconds(30)), $"{sink.Statistics}");
        await sink.DisposeAsync();
        var accepted = receiver.Accepted;
        Assert.Equal(sent.Select(e => e.Id), accepted.Select(a => TestEvents.Read(a.Body).Id));
        Assert.Equal(sent.Select(e => e.Id), accepted.Select(a => a.Key)); // the idempotency key is the event id
        Assert.Equal(45, receiver.Requests);
        var stats = sink.Statistics;
        Assert.Equal((40L, 40L, 0L, 5L), (stats.Accepted, stats.Delivered, stats.Dropped, stats.Retries));
    }

    [Fact]
    public async Task Without_a_receiver_events_are_dropped_after_their_attempts_counted_and_logged_and_posting_never_blocks()
    {
        var logger = new ListLogger();
        var url = new Uri($"http://127.0.0.1:{Loopback.FreePort()}/nobody");
        var sink = WebhookEventSink.Start(new WebhookConfig(url) { MaxAttempts = 2, InitialBackoff = TimeSpan.FromMilliseconds(10), QueueCapacity = 5 }, logger);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            sink.Post(TestEvents.Message(TestEvents.Make("door", i)));
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"posting took {clock.Elapsed}");
        Assert.True(await sink.FlushAsync(TimeSpan.FromSeconds(30)), $"{sink.Statistics}");
        var stats = sink.Statistics;
        Assert.Equal((20L, 0L, 20L), (stats.Accepted, stats.Delivered, stats.Dropped)); // queue overflow plus exhausted attempts
        Assert.True(stats.Retries >= 1);
        Assert.Contains(logger.Entries, e => e.Message.Contains("dropped", StringComparison.Ordinal));
        await sink.DisposeAsync();
    }
}
