using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenCvSharp;
using OpenVocab.Cameras.Analytics;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Events;
using OpenVocab.Cameras.Hosting;
using OpenVocab.Detection;

namespace OpenVocab.Benchmarks;

/// <summary>
/// The many-cameras load run (not a BenchmarkDotNet suite: it measures a running system over seconds):
/// <c>dotnet run -c Release --project benchmarks/OpenVocab.Benchmarks -- cameras [--seconds 20] [--soak-frames 50000] [--no-spinning] [--skip-throughput]</c>.
/// Prints throughput against the detector-bound rate with batching on and off, isolation (one camera reconnecting to a
/// dead stream), a soak with events on (managed and native memory at start and end), and capture-to-MQTT-publish
/// latency through a Mosquitto it starts on a free loopback port.
/// </summary>
internal static class CamerasLoad
{
    private const int Cameras = 8, Width = 640, Height = 360;

    public static void Run(string[] args)
    {
        var seconds = Arg(args, "--seconds", 20);
        var soakFrames = (long)Arg(args, "--soak-frames", 50_000);
        var folder = Directory.CreateTempSubdirectory("openvocab-cameras-load-").FullName;
        try
        {
            var video = Path.Combine(folder, "scene.avi");
            WriteVideo(video, 100);
            // --no-spinning: ONNX Runtime's idle workers block instead of spinning, leaving the cores to the decoders.
            var spinning = !args.Contains("--no-spinning");
            using var detector = Detector.Load(TestPaths.ShapesPack, new OpenVocab.Inference.InferenceOptions { AllowSpinning = spinning });
            Console.WriteLine($"ONNX Runtime spinning {(spinning ? "on" : "off")}");
            var classes = new[] { new ClassConfig("red circle"), new ClassConfig("blue square") };

            // Detector-bound rate: the shared batcher's own detector time per frame, 8 frames at a time.
            var bound = DetectorBound(detector, video, classes);
            Console.WriteLine(FormattableString.Invariant($"detector-bound: {bound:0.0} ms per 640x360 frame in batches of {Cameras} = {1000 / bound:0.0} fps"));

            CameraConfig Camera(int i) => new($"cam{i}", video)
            {
                Classes = classes,
                Loop = true,
                Zones = [new ZoneConfig("left", [new(0, 0), new(320, 0), new(320, 360), new(0, 360)])],
                Lines = [new LineConfig("middle", new PointF(320, 0), new PointF(320, 360))],
            };

            foreach (var batching in args.Contains("--skip-throughput") ? [] : new[] { true, false })
            {
                var (fps, perCamera, batch) = Throughput(detector, Enumerable.Range(0, Cameras).Select(Camera).ToList(), batching, seconds);
                Console.WriteLine(FormattableString.Invariant(
                    $"throughput, batching {(batching ? "on " : "off")}: {fps:0.0} fps over {Cameras} cameras = {fps * bound / 1000:0.00} of the detector-bound rate; per camera min {perCamera.Min():0.0} max {perCamera.Max():0.0}; {batch}"));
            }

            Isolation(detector, video, classes, seconds);
            if (soakFrames > 0)
            {
                Soak(detector, Enumerable.Range(0, Cameras).Select(Camera).ToList(), soakFrames, folder);
            }
            else
            {
                Console.WriteLine("soak: skipped (--soak-frames 0)");
            }
            Latency(detector, Enumerable.Range(0, Cameras).Select(i => Camera(i) with { Realtime = true }).ToList(), seconds, folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static double DetectorBound(Detector detector, string video, ClassConfig[] classes)
    {
        using var capture = new VideoCapture(video);
        var frames = new List<Mat>();
        for (var i = 0; i < Cameras; i++)
        {
            var m = new Mat();
            capture.Read(m);
            frames.Add(m);
        }

        var set = detector.CreateClassSet([.. classes.Select(c => new ClassPrompt(c.Name, [c.Name]))]);

        // The detector's own batched time, 8 frames in one DetectBatch call: what the shared batcher at best achieves.
        // (Timing through the batcher from pool threads measured thread-pool ramp-up, not the detector.)
        for (var r = 0; r < 5; r++)
        {
            detector.DetectBatch(frames, DetectionOptions.Default, set);
        }

        var clock = Stopwatch.StartNew();
        for (var r = 0; r < 20; r++)
        {
            detector.DetectBatch(frames, DetectionOptions.Default, set);
        }

        var ms = clock.Elapsed.TotalMilliseconds / (20 * Cameras);
        frames.ForEach(f => f.Dispose());
        return ms;
    }

    private static (double Fps, double[] PerCamera, string Batch) Throughput(Detector detector, List<CameraConfig> cameras, bool batching, double seconds)
    {
        var host = new CameraHost(detector, [], new CameraHostOptions { Batching = batching });
        try
        {
            cameras.ForEach(c => host.AddAsync(c).GetAwaiter().GetResult());
            Thread.Sleep(TimeSpan.FromSeconds(3)); // warm up: sources open, tracks settle
            var start = host.Cameras.ToDictionary(c => c.Name, c => c.FramesProcessed);
            var clock = Stopwatch.StartNew();
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            var end = host.Cameras.ToDictionary(c => c.Name, c => c.FramesProcessed);
            var elapsed = clock.Elapsed.TotalSeconds;
            var per = end.Select(kv => (kv.Value - start[kv.Key]) / elapsed).ToArray();
            var b = host.Batching;
            return (per.Sum(), per, FormattableString.Invariant($"mean batch {b.Frames / (double)Math.Max(b.Batches, 1):0.00} frames, {b.MsPerFrame:0.0} ms per frame in the detector"));
        }
        finally
        {
            host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void Isolation(Detector detector, string video, ClassConfig[] classes, double seconds)
    {
        // Realtime cameras at 10 fps each: the others' rate with the 8th camera healthy, then reconnecting to a dead stream.
        double[] Others(string eighth)
        {
            var host = new CameraHost(detector, [], new CameraHostOptions { RestartDelay = TimeSpan.FromMilliseconds(200) });
            try
            {
                for (var i = 0; i < Cameras - 1; i++)
                {
                    host.AddAsync(new CameraConfig($"cam{i}", video) { Classes = classes, Loop = true, Realtime = true }).GetAwaiter().GetResult();
                }

                host.AddAsync(new CameraConfig("eighth", eighth) { Classes = classes, Loop = true, Realtime = true }).GetAwaiter().GetResult();
                Thread.Sleep(TimeSpan.FromSeconds(3));
                var start = host.Cameras.Where(c => c.Name != "eighth").ToDictionary(c => c.Name, c => c.FramesProcessed);
                var clock = Stopwatch.StartNew();
                Thread.Sleep(TimeSpan.FromSeconds(seconds));
                var rates = host.Cameras.Where(c => c.Name != "eighth").Select(c => (c.FramesProcessed - start[c.Name]) / clock.Elapsed.TotalSeconds).ToArray();
                var e = host.Find("eighth")!;
                Console.WriteLine(FormattableString.Invariant($"  eighth camera {e.State}: processed {e.FramesProcessed}, reconnects {e.Reconnects}"));
                return rates;
            }
            finally
            {
                host.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }

        var healthy = Others(video);
        var dead = Others($"tcp://127.0.0.1:{FreePort()}");
        Console.WriteLine(FormattableString.Invariant(
            $"isolation: the other 7 cameras' mean fps {healthy.Average():0.00} with the 8th healthy, {dead.Average():0.00} with it reconnecting to a dead stream ({(dead.Average() / healthy.Average() - 1) * 100:+0.0;-0.0} %)"));
    }

    private static void Soak(Detector detector, List<CameraConfig> cameras, long frames, string folder)
    {
        var jsonl = Path.Combine(folder, "soak.jsonl");
        var sink = JsonLinesEventSink.Start(jsonl);
        var host = new CameraHost(detector, [sink]);
        try
        {
            cameras.ForEach(c => host.AddAsync(c).GetAwaiter().GetResult());
            long Processed() => host.Cameras.Sum(c => c.FramesProcessed);
            var clock = Stopwatch.StartNew();
            // One sample at each tenth of the frames: the curve, not just its ends, tells growth that levels off
            // (allocator arenas and caches filling) from a leak (a steady slope).
            var samples = new List<(long Managed, long Native)>();
            while (Processed() < frames)
            {
                Thread.Sleep(1000);
                if (Processed() >= frames * (samples.Count + 1) / 10)
                {
                    samples.Add(Memory());
                }
            }

            if (samples.Count < 10)
            {
                samples.Add(Memory());
            }

            var (first, last) = (samples[0], samples[^1]);
            var events = host.Cameras.Sum(c => c.Events);
            Console.WriteLine(FormattableString.Invariant(
                $"soak: {Processed()} frames over {cameras.Count} cameras in {clock.Elapsed.TotalSeconds:0} s, {events} events; managed {first.Managed / 1e6:0.0} -> {last.Managed / 1e6:0.0} MB, working set {first.Native / 1e6:0.0} -> {last.Native / 1e6:0.0} MB (after 10 % of the frames -> at the end)"));
            Console.WriteLine("soak: working set MB at each tenth of the frames: " + string.Join(" / ", samples.Select(m => FormattableString.Invariant($"{m.Native / 1e6:0}"))));
        }
        finally
        {
            host.DisposeAsync().AsTask().GetAwaiter().GetResult();
            sink.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void Latency(Detector detector, List<CameraConfig> cameras, double seconds, string folder)
    {
        if (!File.Exists("/usr/sbin/mosquitto"))
        {
            Console.WriteLine("latency: skipped (no /usr/sbin/mosquitto)");
            return;
        }

        var port = FreePort();
        var conf = Path.Combine(folder, "mosquitto.conf");
        File.WriteAllText(conf, $"listener {port} 127.0.0.1\nallow_anonymous true\nlog_dest none\n");
        using var broker = Process.Start(new ProcessStartInfo("/usr/sbin/mosquitto") { ArgumentList = { "-c", conf }, UseShellExecute = false })!;
        try
        {
            Thread.Sleep(500);
            var sink = MqttEventSink.Start(new MqttConfig("127.0.0.1") { Port = port, ClientId = "openvocab-load", QueueDirectory = Path.Combine(folder, "queue") });
            var host = new CameraHost(detector, [sink]);
            try
            {
                cameras.ForEach(c => host.AddAsync(c).GetAwaiter().GetResult());
                Thread.Sleep(TimeSpan.FromSeconds(seconds));
            }
            finally
            {
                host.DisposeAsync().AsTask().GetAwaiter().GetResult();
                sink.FlushAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            }

            var ms = sink.LatencyMilliseconds();
            Array.Sort(ms);
            Console.WriteLine(ms.Length == 0
                ? "latency: no events"
                : FormattableString.Invariant($"latency capture -> MQTT PUBACK over {ms.Length} events: median {ms[ms.Length / 2]:0.0} ms, p99 {ms[(int)(ms.Length * 0.99)]:0.0} ms, max {ms[^1]:0.0} ms"));
            sink.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            broker.Kill();
            broker.WaitForExit(5000);
        }
    }

    private static (long Managed, long Native) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(false), self.WorkingSet64);
    }

    private static void WriteVideo(string path, int frames)
    {
        using var writer = new VideoWriter(path, FourCC.FromString("MJPG"), 25, new Size(Width, Height));
        using var image = new Mat(Height, Width, MatType.CV_8UC3);
        for (var i = 0; i < frames; i++)
        {
            image.SetTo(new Scalar(128, 128, 128));
            var x = 60 + ((Width - 120) * i / (frames - 1));
            Cv2.Circle(image, new Point(x, 120), 50, new Scalar(40, 40, 220), -1, LineTypes.AntiAlias);
            Cv2.Rectangle(image, new Rect(Width - x - 50, 200, 100, 100), new Scalar(225, 70, 40), -1);
            writer.Write(image);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static double Arg(string[] args, string name, double fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
