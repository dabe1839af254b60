using System.Diagnostics;
using System.Text.Json;
using OpenVocab.Cameras.Analytics;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Events;
using OpenVocab.Tests;
using Xunit.Abstractions;

namespace OpenVocab.Cameras.Tests.Events;

/// <summary>The MQTT sink against a real Mosquitto broker on loopback, started, killed and restarted by the tests.</summary>
public class MqttEventSinkTests(ITestOutputHelper output)
{
    private static MqttConfig Config(Mosquitto broker, string queue) => new("127.0.0.1")
    {
        Port = broker.Port,
        ClientId = "openvocab-test-" + Guid.NewGuid().ToString("N")[..8],
        QueueDirectory = queue,
    };

    [Fact]
    public async Task Events_arrive_in_order_with_retained_counts_and_availability_online_then_offline()
    {
        if (!Mosquitto.Installed)
        {
            return;
        }

        using var broker = Mosquitto.Start();
        var queue = Directory.CreateTempSubdirectory("openvocab-mqtt-queue-").FullName;
        try
        {
            await using var subscriber = await MqttSubscriber.ConnectAsync(broker.Port, "openvocab/#");
            var sink = MqttEventSink.Start(Config(broker, queue));
            var sent = Enumerable.Range(0, 300).Select(i => TestEvents.Make("door", i)).ToList();
            foreach (var e in sent)
            {
                sink.Post(TestEvents.Message(e));
            }

            var counts = new SceneCounts(new Dictionary<string, ZoneOccupancy> { ["left"] = new(2, new Dictionary<string, int> { ["red circle"] = 2 }) },
                new Dictionary<string, LineCount> { ["gate"] = new(5, 3) });
            sink.Post(new SinkMessage("door", true, null, EventJson.SerializeCounts("door", DateTimeOffset.UtcNow, counts), Stopwatch.GetTimestamp()));
            Assert.True(await sink.FlushAsync(TimeSpan.FromSeconds(20)));
            Assert.True(await subscriber.WaitForAsync(m => m.Count(x => x.Topic == "openvocab/door/events") >= 300 && m.Any(x => x.Topic == "openvocab/door/counts"),
                TimeSpan.FromSeconds(20)));

            var received = subscriber.Messages.Where(m => m.Topic == "openvocab/door/events").Select(m => TestEvents.Read(m.Payload)).ToList();
            Assert.Equal(sent.Select(e => (e.Id, e.TrackId!.Value)), received);
            var stats = sink.Statistics;
            Assert.Equal((300L, 300L, 0L, 0L), (stats.Accepted, stats.Delivered, stats.Dropped, stats.Pending));
            Assert.Contains(subscriber.Messages, m => m.Topic == "openvocab/availability" && m.Payload == "online");
            using (var doc = JsonDocument.Parse(subscriber.Messages.First(m => m.Topic == "openvocab/door/counts").Payload))
            {
                Assert.Equal(EventJson.CountsSchema, doc.RootElement.GetProperty("schema").GetString());
                Assert.Equal(2, doc.RootElement.GetProperty("zones").GetProperty("left").GetProperty("byLabel").GetProperty("red circle").GetInt32());
                Assert.Equal(5, doc.RootElement.GetProperty("lines").GetProperty("gate").GetProperty("in").GetInt32());
            }

            await sink.DisposeAsync();
            Assert.True(await subscriber.WaitForAsync(m => m.LastOrDefault(x => x.Topic == "openvocab/availability").Payload == "offline", TimeSpan.FromSeconds(10)));

            // A late subscriber is told the retained state: offline, and the last counts.
            await using var late = await MqttSubscriber.ConnectAsync(broker.Port, "openvocab/availability", "openvocab/door/counts");
            Assert.True(await late.WaitForAsync(m => m.Any(x => x is { Topic: "openvocab/availability", Payload: "offline", Retained: true }) &&
                m.Any(x => x.Topic == "openvocab/door/counts" && x.Retained), TimeSpan.FromSeconds(10)));
        }
        finally
        {
            Directory.Delete(queue, recursive: true);
        }
    }

    [Fact]
    public async Task A_broker_killed_for_5_s_loses_no_event_the_gap_is_reported_and_the_queue_is_sent_in_order()
    {
        if (!Mosquitto.Installed)
        {
            return;
        }

        using var broker = Mosquitto.Start();
        var queue = Directory.CreateTempSubdirectory("openvocab-mqtt-queue-").FullName;
        try
        {
            await using var subscriber = await MqttSubscriber.ConnectAsync(broker.Port, "openvocab/+/events", "openvocab/gaps");
            await Task.Delay(1500); // the broker's autosave (every 1 s) now holds the subscriber's session
            var logger = new ListLogger();
            var sink = MqttEventSink.Start(Config(broker, queue), logger);
            var sent = new List<CameraEvent>();
            var clock = Stopwatch.StartNew();
            TimeSpan killedAt = default, restartedAt = default;
            var killed = false;
            var restarted = false;
            // 25 events a second for 9 s; the broker is down from 2 s to 7 s.
            for (var i = 0; clock.Elapsed < TimeSpan.FromSeconds(9); i++)
            {
                var e = TestEvents.Make(i % 2 == 0 ? "door" : "yard", i);
                sent.Add(e);
                sink.Post(TestEvents.Message(e));
                if (!killed && clock.Elapsed > TimeSpan.FromSeconds(2))
                {
                    broker.Kill();
                    killed = true;
                    killedAt = clock.Elapsed;
                }

                if (killed && !restarted && clock.Elapsed - killedAt > TimeSpan.FromSeconds(5))
                {
                    broker.Restart();
                    restarted = true;
                    restartedAt = clock.Elapsed;
                }

                // Paced by the clock, not by a fixed 40 ms sleep: sleeps overrun on a busy machine, and the rate fell to
                // about 19 events a second, too few for the outage's queue check below.
                var next = TimeSpan.FromMilliseconds(40 * (i + 1)) - clock.Elapsed;
                await Task.Delay(next > TimeSpan.Zero ? next : TimeSpan.Zero);
            }

            Assert.True(await sink.FlushAsync(TimeSpan.FromSeconds(30)), $"still pending: {sink.Statistics}");
            var ids = sent.Select(e => e.Id).ToHashSet();
            var all = await subscriber.WaitForAsync(m => m.Where(x => x.Topic.EndsWith("/events", StringComparison.Ordinal)).Select(x => TestEvents.Read(x.Payload).Id).ToHashSet().IsSupersetOf(ids),
                TimeSpan.FromSeconds(30));
            var got = subscriber.Messages.Where(m => m.Topic.EndsWith("/events", StringComparison.Ordinal)).Select(m => TestEvents.Read(m.Payload).N).ToHashSet();
            Assert.True(all, $"not every event reached the subscriber: missing {string.Join(", ", Enumerable.Range(0, sent.Count).Where(n => !got.Contains(n)))} of {sent.Count}; subscriber reconnects (session present): {string.Join(",", subscriber.Reconnects)} (killed at {killedAt}, restarted at {restartedAt}; {sink.Statistics})");

            var received = subscriber.Messages.Where(m => m.Topic.EndsWith("/events", StringComparison.Ordinal)).Select(m => TestEvents.Read(m.Payload)).ToList();
            var firstSeen = received.DistinctBy(r => r.Id).ToList();
            var duplicates = received.Count - firstSeen.Count;
            var stats = sink.Statistics;
            var gaps = sink.Gaps;
            output.WriteLine($"{sent.Count} sent; broker killed at {killedAt.TotalSeconds:0.00} s, restarted at {restartedAt.TotalSeconds:0.00} s; " +
                $"received {received.Count} ({duplicates} duplicates); {stats}; gaps: {string.Join(", ", gaps)}; " +
                $"subscriber reconnects (session kept by the broker): {string.Join(", ", subscriber.Reconnects)}");
            Assert.Equal(sent.Select(e => e.Id), firstSeen.Select(r => r.Id)); // none lost, in order (first copies)
            Assert.True(duplicates <= 2, $"{duplicates} duplicates: QoS 1 may repeat only what was in flight when the broker died");
            Assert.Equal((sent.Count, 0L, 0L), (stats.Delivered, stats.Dropped, stats.Pending));
            var gap = Assert.Single(gaps);
            Assert.True(gap.To - gap.From >= TimeSpan.FromSeconds(4.5), $"gap {gap.To - gap.From}");
            Assert.True(gap.Queued >= 100, $"only {gap.Queued} queued in a 5 s outage at 25 events/s");
            Assert.Equal(0, gap.Dropped);
            Assert.Equal(1, stats.Outages);
            // The gap is reported to subscribers and in the log.
            var report = Assert.Single(subscriber.Messages, m => m.Topic == "openvocab/gaps");
            using (var doc = JsonDocument.Parse(report.Payload))
            {
                Assert.Equal(gap.Queued, doc.RootElement.GetProperty("queued").GetInt64());
                Assert.True(doc.RootElement.GetProperty("seconds").GetDouble() >= 4.5);
            }

            Assert.Contains(logger.Entries, e => e.Message.Contains("is back after a gap of", StringComparison.Ordinal));
            await sink.DisposeAsync();
            Assert.Empty(Directory.EnumerateFiles(queue));
        }
        finally
        {
            Directory.Delete(queue, recursive: true);
        }
    }

    [Fact]
    public async Task Events_queued_on_disk_while_no_broker_exists_are_sent_when_one_starts_and_the_queue_is_bounded()
    {
        if (!Mosquitto.Installed)
        {
            return;
        }

        var queue = Directory.CreateTempSubdirectory("openvocab-mqtt-queue-").FullName;
        using var broker = Mosquitto.Start();
        broker.Kill();
        try
        {
            var config = Config(broker, queue) with { QueueLimit = 50 };
            var sink = MqttEventSink.Start(config);
            var sent = Enumerable.Range(0, 80).Select(i => TestEvents.Make("door", i)).ToList();
            var clock = Stopwatch.StartNew();
            foreach (var e in sent)
            {
                sink.Post(TestEvents.Message(e));
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"posting to a sink without a broker took {clock.Elapsed}"); // never blocks
            Assert.True(await WaitAsync(() => sink.Statistics.Dropped == 30, TimeSpan.FromSeconds(10)), $"{sink.Statistics}");
            Assert.Equal(50, Directory.EnumerateFiles(queue, "*.msg").Count());

            broker.Restart();
            await using var subscriber = await MqttSubscriber.ConnectAsync(broker.Port, "openvocab/door/events");
            Assert.True(await sink.FlushAsync(TimeSpan.FromSeconds(30)), $"{sink.Statistics}");
            Assert.True(await subscriber.WaitForAsync(m => m.Count >= 50, TimeSpan.FromSeconds(10)));
            // The 30 oldest were dropped; the newest 50 arrive in order.
            Assert.Equal(sent.Skip(30).Select(e => e.Id), subscriber.Messages.Select(m => TestEvents.Read(m.Payload).Id).Distinct());
            Assert.Equal(30, Assert.Single(sink.Gaps).Dropped);
            await sink.DisposeAsync();
        }
        finally
        {
            Directory.Delete(queue, recursive: true);
        }
    }

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }
}
