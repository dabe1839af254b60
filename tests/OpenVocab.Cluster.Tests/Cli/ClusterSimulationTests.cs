using System.Diagnostics;
using OpenCvSharp;
using OpenVocab.Cameras.Tests.Events;
using OpenVocab.Cluster.Client;
using OpenVocab.Cluster.Hosting;
using OpenVocab.Tests;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace OpenVocab.Cluster.Tests.Cli;

/// <summary>
/// The scale simulation of docs/cluster.md, opt-in (OPENVOCAB_CLUSTER_SIM=1; it takes a few minutes): 4 silo processes
/// on this machine, 40 cheap synthetic cameras (160x120 MJPG at 2 fps, every 2nd frame detected), a real Redis and
/// Mosquitto. It measures the control plane's cost per camera (Redis commands and memory, add latency), the time a
/// killed silo's cameras take to resume elsewhere, and the time a restarted silo takes to be rebalanced.
/// </summary>
public sealed class ClusterSimulationTests(ITestOutputHelper output)
{
    private const int Silos = 4, Cameras = 40, Capacity = 14;

    [Fact]
    public async Task Four_silos_forty_cameras()
    {
        if (Environment.GetEnvironmentVariable("OPENVOCAB_CLUSTER_SIM") != "1")
        {
            return; // opt-in: a measurement, not a check (the end-to-end test checks the same behaviour at small scale)
        }

        output.WriteLine("load at start: " + File.ReadAllText("/proc/loadavg").Trim());
        using var redis = RedisServer.Start();
        using var broker = Mosquitto.Start();
        await using var subscriber = await MqttSubscriber.ConnectAsync(broker.Port, "openvocab/+/counts");
        using var dir = new TempDir();
        WriteVideo(dir.File("synthetic.avi"));
        var names = Enumerable.Range(1, Cameras).Select(i => $"cam{i:00}").ToArray();
        File.WriteAllText(dir.File("cameras.yaml"), ClusterRun.CamerasFile(names, stride: 2).Replace(Path.Combine(TestPaths.Samples, "shapes_walk.mp4"), dir.File("synthetic.avi"), StringComparison.Ordinal)
            .Replace(Path.Combine(TestPaths.Samples, "shapes_lane.mp4"), dir.File("synthetic.avi"), StringComparison.Ordinal));
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.Address + ",allowAdmin=true");
        var server = admin.GetServer(redis.Address);
        var silos = new List<SiloProcess>();
        var run = Guid.NewGuid().ToString("N")[..6];
        try
        {
            for (var i = 1; i <= Silos; i++)
            {
                silos.Add(SiloProcess.Start($"sim{i}-{run}", redis.Address, Capacity, broker.Port));
            }

            await using var client = await CameraClusterClient.ConnectAsync(new CameraClusterOptions(redis.Address), TimeSpan.FromSeconds(60));
            // Joining reads and writes a lot (membership, reminder ranges): let it settle before measuring the idle cost.
            await Task.Delay(TimeSpan.FromSeconds(20));
            var (idleCommands, idleMemory) = await Rate(server, TimeSpan.FromSeconds(20));
            output.WriteLine($"idle cluster (4 silos, 0 cameras): {idleCommands:0.0} Redis commands/s, {idleMemory / 1024.0:0} KiB used");

            var commandsBefore = await Stat(server, "stats", "total_commands_processed");
            var adding = Stopwatch.StartNew();
            foreach (var (name, definition) in CameraDefinition.FromFile(dir.File("cameras.yaml")))
            {
                await client.AddAsync(name, definition);
            }

            var addCommands = await Stat(server, "stats", "total_commands_processed") - commandsBefore - 1;
            output.WriteLine($"add: {Cameras} cameras in {adding.Elapsed.TotalSeconds:0.0} s = {adding.Elapsed.TotalMilliseconds / Cameras:0} ms and {addCommands / (double)Cameras:0.0} Redis commands per add");
            var started = DateTimeOffset.UtcNow;
            await ClusterRun.WaitFor(() => names.All(c => ClusterRun.Counts(subscriber, c).Any(m => m.At > started)), "every camera's first counts", silos);
            var (busyCommands, busyMemory) = await Rate(server, TimeSpan.FromSeconds(30));
            output.WriteLine($"steady state ({Cameras} cameras): {busyCommands:0.0} Redis commands/s, {busyMemory / 1024.0:0} KiB used; " +
                $"per camera {(busyCommands - idleCommands) / Cameras:0.00} commands/s and {(busyMemory - idleMemory) / Cameras / 1024.0:0.0} KiB");
            var placed = await client.ListAsync();
            output.WriteLine("placement: " + string.Join(", ", silos.Select(s => $"{s.Name}={placed.Count(c => c.Silo == s.Name)}")));

            var victim = silos.OrderByDescending(s => placed.Count(c => c.Silo == s.Name)).First();
            var orphans = placed.Where(c => c.Silo == victim.Name).Select(c => c.Name).ToArray();
            output.WriteLine("load before the kill: " + File.ReadAllText("/proc/loadavg").Trim());
            var killedAt = DateTimeOffset.UtcNow;
            victim.Kill();
            await ClusterRun.WaitFor(() => orphans.All(c => ClusterRun.Counts(subscriber, c).Any(m => m.At > killedAt && m.Silo != victim.Name)), "the killed silo's cameras to resume", silos);
            var resumed = orphans.Select(c => (ClusterRun.Counts(subscriber, c).Where(m => m.At > killedAt && m.Silo != victim.Name).Min(m => m.At) - killedAt).TotalSeconds).Order().ToArray();
            output.WriteLine($"failover: {orphans.Length} cameras of the killed silo resumed after median {resumed[resumed.Length / 2]:0.0} s, max {resumed[^1]:0.0} s (min {resumed[0]:0.0} s)");

            var restart = Stopwatch.StartNew();
            victim.Restart();
            var joined = restart.Elapsed;
            await ClusterRun.WaitFor(async () =>
            {
                var list = await client.ListAsync();
                var counts = silos.Select(s => list.Count(c => c.Silo == s.Name)).ToArray();
                return list.Count == Cameras && counts.Max() - counts.Min() <= 1;
            }, "rebalancing", silos, TimeSpan.FromMinutes(5));
            var after = await client.ListAsync();
            output.WriteLine($"rebalance: silo process up (gateway open) after {joined.TotalSeconds:0.0} s; balanced ({string.Join(", ", silos.Select(s => $"{s.Name}={after.Count(c => c.Silo == s.Name)}"))}) " +
                $"{restart.Elapsed.TotalSeconds:0.0} s after the restart began, moving one camera per {new CameraSiloOptions().RebalanceInterval.TotalSeconds:0} s interval");
            foreach (var camera in names)
            {
                var overlap = ClusterRun.LongestOverlap(ClusterRun.Counts(subscriber, camera));
                Assert.True(overlap <= 1.0, $"{camera} ran on two silos at once for {overlap:0.00} s");
            }

            output.WriteLine("load at end: " + File.ReadAllText("/proc/loadavg").Trim());
        }
        finally
        {
            foreach (var silo in silos)
            {
                silo.Dispose();
            }
        }
    }

    /// <summary>Redis commands per second over <paramref name="window"/>, and the memory it uses at the end.</summary>
    private static async Task<(double CommandsPerSecond, long UsedMemory)> Rate(IServer server, TimeSpan window)
    {
        var before = await Stat(server, "stats", "total_commands_processed");
        var clock = Stopwatch.StartNew();
        await Task.Delay(window);
        var after = await Stat(server, "stats", "total_commands_processed");
        // The INFO calls themselves count one command each.
        return ((after - before - 1) / clock.Elapsed.TotalSeconds, await Stat(server, "memory", "used_memory"));
    }

    private static async Task<long> Stat(IServer server, string section, string key) =>
        long.Parse((await server.InfoAsync(section)).SelectMany(g => g).First(kv => kv.Key == key).Value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A 160x120 MJPG video at 2 fps with a red circle moving across: cheap to decode, something to detect.</summary>
    private static void WriteVideo(string path)
    {
        using var writer = new VideoWriter(path, FourCC.FromString("MJPG"), 2, new Size(160, 120));
        Assert.True(writer.IsOpened(), $"cannot write {path}");
        using var image = new Mat(120, 160, MatType.CV_8UC3);
        for (var i = 0; i < 20; i++)
        {
            image.SetTo(new Scalar(128, 128, 128));
            Cv2.Circle(image, new Point(20 + (6 * i), 60), 18, new Scalar(40, 40, 220), -1, LineTypes.AntiAlias);
            writer.Write(image);
        }
    }
}
