using System.Diagnostics;
using OpenVocab.Cameras.Tests.Events;
using OpenVocab.Cluster.Client;
using OpenVocab.Cluster.Hosting;
using OpenVocab.Tests;
using OpenVocab.Tests.Cli;
using Xunit.Abstractions;

namespace OpenVocab.Cluster.Tests.Cli;

/// <summary>
/// The whole cluster as users run it: a real redis-server, a real Mosquitto, three <c>openvocab cluster silo</c>
/// processes (capacity 3 each) and six cameras on looping sample videos, each with a whole-frame zone so that it
/// publishes counts every second: that steady heartbeat, stamped with the silo and the frame's wall-clock time, is
/// what the checks read. One silo is killed with SIGKILL, restarted, and Redis is killed for 10 s.
/// </summary>
public sealed class ClusterEndToEndTests(ITestOutputHelper output)
{
    private const int Capacity = 3;

    [Fact]
    public async Task Cameras_fail_over_rebalance_and_ride_out_a_redis_outage_without_ever_running_twice()
    {
        Assert.True(Mosquitto.Installed, $"{Mosquitto.Path} is missing: run scripts/prerequisites.sh.");
        using var redis = RedisServer.Start();
        using var broker = Mosquitto.Start();
        await using var subscriber = await MqttSubscriber.ConnectAsync(broker.Port, "openvocab/+/counts");
        using var dir = new TempDir();
        var cameras = Enumerable.Range(1, 6).Select(i => $"c{i}").ToArray();
        File.WriteAllText(dir.File("cameras.yaml"), ClusterRun.CamerasFile(cameras, stride: 2));
        var silos = new List<SiloProcess>();
        var run = Guid.NewGuid().ToString("N")[..6];
        try
        {
            // Unique names: a silo's MQTT client id and on-disk queue folder are named after it.
            foreach (var name in new[] { $"s1-{run}", $"s2-{run}", $"s3-{run}" })
            {
                silos.Add(SiloProcess.Start(name, redis.Address, Capacity, broker.Port, "--reminder-period", "2", "--rebalance-interval", "2"));
            }

            await using var client = await CameraClusterClient.ConnectAsync(new CameraClusterOptions(redis.Address), TimeSpan.FromSeconds(60));
            var add = CliProcess.Run("cluster", "add", dir.File("cameras.yaml"), "--redis", redis.Address);
            Assert.True(add.Code == 0, add.Stderr);
            Assert.Equal(cameras, add.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]));

            var started = DateTimeOffset.UtcNow;
            await ClusterRun.WaitFor(() => cameras.All(c => ClusterRun.Counts(subscriber, c).Any(m => m.At > started)), "every camera's first counts", silos);
            var placed = await client.ListAsync();
            Assert.Equal(cameras, placed.Select(c => c.Name));
            Assert.All(silos, s => Assert.Equal(2, placed.Count(c => c.Silo == s.Name)));

            // Kill -9 one silo: its cameras must come back on the others, the others' cameras must not stop.
            var victim = silos[0];
            var orphans = placed.Where(c => c.Silo == victim.Name).Select(c => c.Name).ToArray();
            var killedAt = DateTimeOffset.UtcNow;
            victim.Kill();
            await ClusterRun.WaitFor(() => orphans.All(c => ClusterRun.Counts(subscriber, c).Any(m => m.At > killedAt && m.Silo != victim.Name)), "the killed silo's cameras to resume elsewhere", silos);
            var resumed = orphans.ToDictionary(c => c, c => (ClusterRun.Counts(subscriber, c).Where(m => m.At > killedAt && m.Silo != victim.Name).Min(m => m.At) - killedAt).TotalSeconds);
            foreach (var (camera, seconds) in resumed)
            {
                output.WriteLine(FormattableString.Invariant($"failover: {camera} resumed {seconds:0.0} s after the kill (goal <= 20 s)"));
                Assert.True(seconds <= 60, FormattableString.Invariant($"{camera} took {seconds:0.0} s to resume"));
            }

            var failoverDone = DateTimeOffset.UtcNow;
            foreach (var camera in cameras.Except(orphans))
            {
                var gap = ClusterRun.LongestGap(ClusterRun.Counts(subscriber, camera).Where(m => m.At >= killedAt.AddSeconds(-2) && m.At <= failoverDone).Select(m => m.At), killedAt, failoverDone);
                output.WriteLine(FormattableString.Invariant($"failover: {camera} (not on the killed silo) longest gap between counts {gap:0.0} s"));
                Assert.True(gap < 10, FormattableString.Invariant($"{camera} stopped for {gap:0.0} s while another silo failed"));
            }

            Assert.All(await client.ListAsync(), c => Assert.NotEqual(victim.Name, c.Silo));

            // Restart it: the cluster rebalances, one camera per interval, until every silo holds two again.
            var restartedAt = Stopwatch.StartNew();
            victim.Restart();
            var joined = restartedAt.Elapsed;
            await ClusterRun.WaitFor(async () => (await client.ListAsync()) is { Count: 6 } list && silos.All(s => list.Count(c => c.Silo == s.Name) == 2), "rebalancing to 2 cameras per silo", silos);
            output.WriteLine(FormattableString.Invariant($"rebalance: the restarted silo's gateway opened {joined.TotalSeconds:0.0} s after the restart began; 2/2/2 again {(restartedAt.Elapsed - joined).TotalSeconds:0.0} s later"));

            // The CLI's view: one line per silo, then one per camera with its silo; a bad request is one clear line and exit code 1.
            var status = CliProcess.Run("cluster", "status", "--redis", redis.Address);
            Assert.True(status.Code == 0, status.Stderr);
            Assert.All(silos, s => Assert.Contains($"silo {s.Name} cameras=2", status.Stdout, StringComparison.Ordinal));
            Assert.All(cameras, c => Assert.Matches($"(?m)^{c} silo=s[123]-{run} ", status.Stdout));
            var unknown = CliProcess.Run("cluster", "remove", "nobody", "--redis", redis.Address);
            Assert.Equal(1, unknown.Code);
            Assert.Equal("error: There is no camera 'nobody' in the cluster.", unknown.Stderr.Trim());
            var balancedAt = DateTimeOffset.UtcNow;
            await ClusterRun.WaitFor(() => cameras.All(c => ClusterRun.Counts(subscriber, c).Any(m => m.At > balancedAt)), "every camera to run after rebalancing", silos);

            // Redis down for 10 s: running cameras go on, a change fails with a clear error, everything recovers.
            var outageAt = DateTimeOffset.UtcNow;
            redis.Kill();
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => client.SetClassesAsync("c1", "red circle").WaitAsync(TimeSpan.FromSeconds(30)));
            output.WriteLine($"outage: a change was refused with: {refused.GetType().Name}: {refused.Message}");
            Assert.IsType<InvalidOperationException>(refused);
            Assert.Contains("could not be saved to the cluster's Redis", refused.Message, StringComparison.Ordinal);
            var remaining = TimeSpan.FromSeconds(10) - (DateTimeOffset.UtcNow - outageAt);
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining);
            }

            var outageEnd = DateTimeOffset.UtcNow;
            redis.Restart();
            foreach (var camera in cameras)
            {
                var during = ClusterRun.Counts(subscriber, camera).Where(m => m.At > outageAt && m.At <= outageEnd).ToList();
                var gap = ClusterRun.LongestGap(during.Select(m => m.At), outageAt, outageEnd);
                output.WriteLine(FormattableString.Invariant($"outage: {camera} published {during.Count} counts during the 10 s outage, longest gap {gap:0.0} s"));
                // Any gap shorter than the 10 s outage shows the camera went on; 8 s leaves room for a starved CPU.
                Assert.True(gap < 8, FormattableString.Invariant($"{camera} stopped for {gap:0.0} s while Redis was down"));
            }

            var recovery = Stopwatch.StartNew();
            await ClusterRun.WaitFor(async () =>
            {
                try
                {
                    return (await client.SetClassesAsync("c1", "red circle")).Classes.SequenceEqual(["red circle"]);
                }
                catch (InvalidOperationException)
                {
                    return false;
                }
            }, "a change to succeed once Redis is back", silos);
            output.WriteLine(FormattableString.Invariant($"outage: changes work again {recovery.Elapsed.TotalSeconds:0.0} s after Redis restarted"));
            Assert.Equal(3, (await client.SilosAsync()).Count);
            var recoveredAt = DateTimeOffset.UtcNow;
            await ClusterRun.WaitFor(() => cameras.All(c => ClusterRun.Counts(subscriber, c).Any(m => m.At > recoveredAt)), "every camera to run after the outage", silos);

            // Never on two silos at once: per camera, the periods each silo published counts must not overlap by more than one counts interval.
            foreach (var camera in cameras)
            {
                var overlap = ClusterRun.LongestOverlap(ClusterRun.Counts(subscriber, camera));
                output.WriteLine(FormattableString.Invariant($"{camera}: silos {string.Join(" ", ClusterRun.Periods(ClusterRun.Counts(subscriber, camera)).Select(p => p.Silo))}, longest overlap {overlap:0.00} s"));
                Assert.True(overlap <= 1.0, FormattableString.Invariant($"{camera} ran on two silos at once for {overlap:0.00} s"));
            }
        }
        finally
        {
            foreach (var silo in silos)
            {
                silo.Dispose();
            }
        }
    }
}
