using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OpenVocab.Cameras.Tests.Events;
using OpenVocab.Tests;

namespace OpenVocab.Cluster.Tests.Cli;

/// <summary>
/// What the cluster runs (the end-to-end test and the simulation) read: the cameras' counts heartbeat as received
/// over MQTT, each stamped with the silo and the frame's wall-clock time, and bounded waiting that shows the silos'
/// logs when it times out.
/// </summary>
internal static class ClusterRun
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    /// <summary>A cameras file: the cameras on the looping sample videos, each with a whole-frame zone so that it publishes counts every second.</summary>
    public static string CamerasFile(string[] cameras, int stride) =>
        "cameras:\n" + string.Concat(cameras.Select((c, i) => $"""
              - name: {c}
                source: {Path.Combine(TestPaths.Samples, i % 2 == 0 ? "shapes_walk.mp4" : "shapes_lane.mp4")}
                loop: true
                realtime: true
                stride: {stride}
                classes: red circle, blue square, green square, orange circle
                coordinates: normalized
                zones: [{"{"}name: all, points: [[0, 0], [1, 0], [1, 1], [0, 1]]{"}"}]
                events: [appeared, lost]
                counts_interval: 1s

            """));

    /// <summary>The camera's counts received so far (live ones, not the broker's retained copy), oldest first.</summary>
    public static List<(DateTimeOffset At, string Silo)> Counts(MqttSubscriber subscriber, string camera) =>
        [.. subscriber.Messages.Where(m => !m.Retained && m.Topic == $"openvocab/{camera}/counts").Select(m =>
        {
            using var json = JsonDocument.Parse(m.Payload);
            return (DateTimeOffset.Parse(json.RootElement.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture),
                json.RootElement.GetProperty("silo").GetString()!);
        }).OrderBy(m => m.Item1)];

    public static double LongestGap(IEnumerable<DateTimeOffset> times, DateTimeOffset from, DateTimeOffset to)
    {
        var points = times.Where(t => t >= from && t <= to).Prepend(from).Append(to).Order().ToList();
        return points.Zip(points.Skip(1), (a, b) => (b - a).TotalSeconds).Max();
    }

    /// <summary>Each silo's runs of the camera: its counts split wherever that silo was silent for over 3 s.</summary>
    public static List<(string Silo, DateTimeOffset From, DateTimeOffset To)> Periods(List<(DateTimeOffset At, string Silo)> counts)
    {
        var periods = new List<(string, DateTimeOffset, DateTimeOffset)>();
        foreach (var bySilo in counts.GroupBy(c => c.Silo))
        {
            var times = bySilo.Select(c => c.At).Order().ToList();
            var start = times[0];
            for (var i = 1; i <= times.Count; i++)
            {
                if (i == times.Count || (times[i] - times[i - 1]).TotalSeconds > 3)
                {
                    periods.Add((bySilo.Key, start, times[i - 1]));
                    if (i < times.Count)
                    {
                        start = times[i];
                    }
                }
            }
        }

        return [.. periods.OrderBy(p => p.Item2)];
    }

    public static double LongestOverlap(List<(DateTimeOffset At, string Silo)> counts)
    {
        var periods = Periods(counts);
        var longest = 0.0;
        foreach (var a in periods)
        {
            foreach (var b in periods.Where(b => b.Silo != a.Silo))
            {
                var overlap = ((a.To < b.To ? a.To : b.To) - (a.From > b.From ? a.From : b.From)).TotalSeconds;
                longest = Math.Max(longest, overlap);
            }
        }

        return longest;
    }

    public static Task WaitFor(Func<bool> done, string what, List<SiloProcess> silos) => WaitFor(() => Task.FromResult(done()), what, silos);

    /// <summary>Polls <paramref name="done"/> until it holds; fails with the silos' logs after <paramref name="patience"/> (default 90 s).</summary>
    public static async Task WaitFor(Func<Task<bool>> done, string what, List<SiloProcess> silos, TimeSpan? patience = null)
    {
        var limit = patience ?? Patience;
        var clock = Stopwatch.StartNew();
        while (!await done())
        {
            Assert.True(clock.Elapsed < limit, $"timed out after {limit.TotalSeconds} s waiting for {what}. Silo logs:\n" +
                string.Join("\n", silos.Select(s => $"--- {s.Name}\n{Tail(s.Log)}")));
            await Task.Delay(250);
        }
    }

    public static string Tail(string log) => log.Length <= 4000 ? log : log[^4000..];
}
