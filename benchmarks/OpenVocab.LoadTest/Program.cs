using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using OpenCvSharp;
using OpenVocab.Detection;
using OpenVocab.Server;
using OpenVocab.Server.Grpc;

namespace OpenVocab.LoadTest;

/// <summary>
/// Loopback benchmarks and the load test of <c>openvocab serve</c>. Starts the server in this process on free
/// 127.0.0.1 ports, sends bounded numbers of requests, prints the numbers, stops the server.
/// <code>dotnet run -c Release --project benchmarks/OpenVocab.LoadTest -- [overhead|throughput|grpc|load|all] [--requests N] [--warm-up N] [--arm "--Server:KEY=VALUE ..."]</code>
/// </summary>
internal static class Program
{
    private const string Classes = "green square, purple hexagon, orange circle, red star, blue circle";

    private static async Task<int> Main(string[] args)
    {
        var mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
        var requests = IntArg("--requests", 20_000);
        var warmUp = IntArg("--warm-up", 4_000);
        var root = FindRoot();
        var pack = Path.Combine(root, "models", "shapes");
        var jpeg = MakeJpeg(Path.Combine(root, "samples", "shapes_1.jpg"));
        Console.WriteLine($"640x480 JPEG: {jpeg.Length} bytes; {Environment.ProcessorCount} cores");
        if (mode is "overhead" or "all")
        {
            await Overhead(pack, jpeg);
        }

        if (mode is "throughput" or "all")
        {
            // --arm "--Server:KEY=VALUE ...": a server configuration to add to the throughput comparison (repeatable).
            var extraArms = args.Select((a, i) => (a, i)).Where(p => p.a == "--arm" && p.i + 1 < args.Length)
                .Select(p => (Name: args[p.i + 1], Args: args[p.i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToArray();
            await Throughput(pack, jpeg, extraArms);
        }

        if (mode is "grpc" or "all")
        {
            await GrpcVsRest(pack, jpeg);
        }

        if (mode is "load" or "all")
        {
            return await Load(pack, root, jpeg, requests, warmUp);
        }

        return 0;

        // The number after NAME on the command line, or the fallback when NAME is absent.
        int IntArg(string name, int fallback) =>
            args.SkipWhile(a => a != name).Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(fallback);
    }

    /// <summary>
    /// HTTP round trip at concurrency 1 minus the in-process decode and Detect of the same image, with ONNX Runtime's
    /// spinning on and off (each server against an in-process detector loaded with the same setting). The calls are
    /// interleaved (in-process, then its server, for each setting) so that all see the same machine; the overhead is the
    /// median of the per-round differences, which a busy or throttled machine shifts far less than a difference of two
    /// separate medians.
    /// </summary>
    private static async Task Overhead(string pack, byte[] jpeg)
    {
        const int N = 400;
        bool[] spinning = [false, true];
        var (detectors, classes) = LoadInProcess(pack, spinning);
        try
        {
            await using var servers = await ServerArms.StartAsync(pack, [.. spinning.Select(s => new[] { $"--Server:AllowSpinning={s}" })]);
            var local = spinning.Select(_ => new double[N]).ToArray();
            var remote = spinning.Select(_ => new double[N]).ToArray();
            var paired = spinning.Select(_ => new double[N]).ToArray();
            for (var i = -50; i < N; i++)
            {
                for (var a = 0; a < spinning.Length; a++)
                {
                    var t = Stopwatch.GetTimestamp();
                    using (var decoded = Cv2.ImDecode(jpeg, ImreadModes.Color)) // the server decodes too: count it on both sides
                    {
                        detectors[a].Detect(decoded, DetectionOptions.Default, classes[a]);
                    }

                    var l = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                    t = Stopwatch.GetTimestamp();
                    using (var response = await servers.Clients[a].PostAsync($"/v1/detect?classes={Uri.EscapeDataString(Classes)}", Raw(jpeg)))
                    {
                        _ = await response.Content.ReadAsByteArrayAsync();
                        response.EnsureSuccessStatusCode();
                    }

                    var r = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                    if (i >= 0)
                    {
                        (local[a][i], remote[a][i], paired[a][i]) = (l, r, r - l);
                    }
                }
            }

            Console.WriteLine($"overhead (c=1, {N} interleaved rounds):");
            for (var a = 0; a < spinning.Length; a++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  spinning {(spinning[a] ? "on " : "off")}: in-process decode+Detect median {Pct(local[a], 50):0.000} ms p99 {Pct(local[a], 99):0.000}; HTTP round trip median {Pct(remote[a], 50):0.000} ms p99 {Pct(remote[a], 99):0.000}; overhead (per-round difference) median {Pct(paired[a], 50):0.000} ms, p99 {Pct(paired[a], 99):0.000} ms"));
            }
        }
        finally
        {
            Array.ForEach(detectors, d => d.Dispose());
        }
    }

    /// <summary>
    /// Requests per second at concurrency 8 for several server configurations (the default, one batch at a time,
    /// spinning on, batching off) against in-process Detect saturated by 8 threads, with spinning on and off; the ratios are
    /// to the faster in-process setting. Each is run in turns of a few seconds, three rounds, so a machine that slows
    /// down during the run slows all alike; each figure is the sum over its turns.
    /// </summary>
    private static async Task Throughput(string pack, byte[] jpeg, (string Name, string[] Args)[] extraArms)
    {
        const int Rounds = 3;
        var turn = TimeSpan.FromSeconds(5);
        bool[] spinning = [false, true];
        var (detectors, classes) = LoadInProcess(pack, spinning);
        (string Name, string[] Args)[] arms =
        [
            ("default (batching on, 2 runs at once, spinning off)", []),
            ("batching on, 1 run at a time", ["--Server:MaxParallelBatches=1"]),
            ("batching on, spinning on", ["--Server:AllowSpinning=true"]),
            ("batching off", ["--Server:DisableBatching=true"]),
            .. extraArms,
        ];
        try
        {
            await using var servers = await ServerArms.StartAsync(pack, [.. arms.Select(a => a.Args)]);
            var local = new long[spinning.Length];
            var done = new long[arms.Length];
            for (var round = -1; round < Rounds; round++) // round -1 warms every arm up
            {
                for (var d = 0; d < detectors.Length; d++)
                {
                    var (detector, set) = (detectors[d], classes[d]);
                    local[d] += Count(round, await Saturate(turn, () =>
                    {
                        using var decoded = Cv2.ImDecode(jpeg, ImreadModes.Color);
                        detector.Detect(decoded, DetectionOptions.Default, set);
                        return Task.CompletedTask;
                    }, inThreads: true));
                }

                for (var a = 0; a < arms.Length; a++)
                {
                    var http = servers.Clients[a];
                    done[a] += Count(round, await Saturate(turn, () => Post(http), inThreads: false));
                }
            }

            var seconds = Rounds * turn.TotalSeconds;
            var best = local.Max();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"throughput, c=8, {Rounds} rounds of {turn.TotalSeconds:0} s each: in-process spinning off {local[0] / seconds:0.0} images/s, spinning on {local[1] / seconds:0.0} images/s"));
            for (var a = 0; a < arms.Length; a++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  HTTP {arms[a].Name}: {done[a] / seconds:0.0} requests/s ({(double)done[a] / best:0.00}x the faster in-process)"));
            }
        }
        finally
        {
            Array.ForEach(detectors, d => d.Dispose());
        }

        static long Count(int round, long n) => round < 0 ? 0 : n;

        async Task Post(HttpClient http)
        {
            using var response = await http.PostAsync($"/v1/detect?classes={Uri.EscapeDataString(Classes)}", Raw(jpeg));
            response.EnsureSuccessStatusCode();
        }
    }

    /// <summary>One in-process detector per spinning setting, each with the benchmark's class set; the caller disposes the detectors.</summary>
    private static (Detector[] Detectors, ClassSet[] Classes) LoadInProcess(string pack, bool[] spinning)
    {
        var detectors = spinning.Select(s => Detector.Load(pack, new OpenVocab.Inference.InferenceOptions { AllowSpinning = s })).ToArray();
        return (detectors, [.. detectors.Select(d => d.CreateClassSet([.. Classes.Split(", ")]))]);
    }

    /// <summary>Runs <paramref name="call"/> from 8 workers for <paramref name="length"/>; returns the calls completed.</summary>
    private static async Task<long> Saturate(TimeSpan length, Func<Task> call, bool inThreads)
    {
        long done = 0;
        var until = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
        async Task Worker()
        {
            while (Stopwatch.GetTimestamp() < until)
            {
                await call();
                Interlocked.Increment(ref done);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => inThreads ? Task.Factory.StartNew(Worker, TaskCreationOptions.LongRunning).Unwrap() : Worker()));
        return done;
    }

    private static async Task GrpcVsRest(string pack, byte[] jpeg)
    {
        const int N = 300;
        await using var server = await Server.StartAsync(pack, []);
        using var http = new HttpClient { BaseAddress = server.Rest };
        using var channel = GrpcChannel.ForAddress(server.Grpc!);
        var client = new OpenVocabService.OpenVocabServiceClient(channel);
        var request = new DetectRequest { Images = { new Image { Name = "a.jpg", Data = ByteString.CopyFrom(jpeg) } }, Params = new DetectParams { Classes = { Classes.Split(", ") } } };
        var rest = new double[N];
        var grpc = new double[N];
        for (var i = -30; i < N; i++)
        {
            var t = Stopwatch.GetTimestamp();
            using (var response = await http.PostAsync($"/v1/detect?classes={Uri.EscapeDataString(Classes)}", Raw(jpeg)))
            {
                _ = await response.Content.ReadAsByteArrayAsync();
            }

            var r = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            t = Stopwatch.GetTimestamp();
            await client.DetectAsync(request);
            var g = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            if (i >= 0)
            {
                rest[i] = r;
                grpc[i] = g;
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"c=1 detect, {N} each: REST median {Pct(rest, 50):0.000} ms p99 {Pct(rest, 99):0.000}; gRPC median {Pct(grpc, 50):0.000} ms p99 {Pct(grpc, 99):0.000}"));
    }

    /// <summary>N mixed requests at concurrency 16; only 503/429 may fail; memory at the end against the start.</summary>
    private static async Task<int> Load(string pack, string root, byte[] jpeg, int total, int warmUp)
    {
        var index = Path.Combine(Path.GetTempPath(), $"openvocab-load-{Environment.ProcessId}.ovidx");
        using (var encoder = OpenVocab.Classification.ImageEncoder.Load(OpenVocab.Inference.ModelPack.Load(pack)))
        {
            OpenVocab.Search.ImageIndex.Build(Path.Combine(root, "samples"), index, encoder);
        }

        try
        {
            await using var server = await Server.StartAsync(pack, [$"--Server:Index={index}"]);
            using var http = new HttpClient { BaseAddress = server.Rest, Timeout = TimeSpan.FromSeconds(60) };
            var statuses = new Dictionary<int, int>();
            var counter = 0;
            async Task<int> One(int i)
            {
                HttpResponseMessage response = (i % 20) switch
                {
                    < 12 => await http.PostAsync($"/v1/detect?classes={Uri.EscapeDataString(Classes)}", Raw(jpeg)),
                    12 or 13 => await http.PostAsync("/v1/classify", Form(jpeg, ("labels", "red star, blue circle, green square"))),
                    14 or 15 => await http.PostAsync("/v1/embed", new StringContent("{\"texts\":[\"a red star\",\"a blue circle\"]}", System.Text.Encoding.UTF8, "application/json")),
                    16 => await http.PostAsync("/v1/search", new StringContent("{\"text\":\"a photo of a red star.\",\"top_k\":3}", System.Text.Encoding.UTF8, "application/json")),
                    17 => await http.GetAsync("/v1/info"),
                    18 => await http.PostAsync("/v1/detect", Form(jpeg, ("classes", "red star"), ("conf", "2"))), // intended 400
                    _ => await http.GetAsync("/healthz"),
                };
                using (response)
                {
                    _ = await response.Content.ReadAsByteArrayAsync();
                    return (int)response.StatusCode;
                }
            }

            // Warm up every route, one at a time and then at the test's concurrency (batches of every size in both run
            // slots, sixteen connections, a grown thread pool), so the baseline is the steady state and growth after it
            // means a leak. 1,000 requests were too few with two runs at once: RSS still rose 13 % in the next 4,000 and
            // was flat from there on (docs/server.md).
            for (var i = 0; i < 40; i++)
            {
                await One(i);
            }

            await Task.WhenAll(Enumerable.Range(0, 16).Select(async w =>
            {
                for (var i = w; i < warmUp; i += 16)
                {
                    await One(i);
                }
            }));

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using var self = Process.GetCurrentProcess();
            self.Refresh();
            var rssStart = self.WorkingSet64;
            var watch = Stopwatch.StartNew();
            var samples = new List<string>();
            await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref counter)) <= total)
                {
                    if (i % (total / 4) == 0)
                    {
                        lock (samples)
                        {
                            self.Refresh();
                            samples.Add(string.Create(CultureInfo.InvariantCulture, $"{i}: {self.WorkingSet64 / 1e6:0} MB"));
                        }
                    }

                    var status = await One(i);
                    lock (statuses)
                    {
                        statuses[status] = statuses.GetValueOrDefault(status) + 1;
                    }
                }
            }));
            var elapsed = watch.Elapsed;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            self.Refresh();
            var rssEnd = self.WorkingSet64;
            var intended400 = Enumerable.Range(1, total).Count(i => i % 20 == 18);
            var unintended = statuses.Where(s => s.Key is not (200 or 503 or 429)).Sum(s => s.Value) - intended400;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"load: {total} mixed requests at c=16 in {elapsed.TotalSeconds:0.0} s ({total / elapsed.TotalSeconds:0} req/s); statuses {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}; unintended errors {unintended}; RSS after a warm-up of {warmUp} requests {rssStart / 1e6:0} MB, during ({string.Join(", ", samples)}), end {rssEnd / 1e6:0} MB ({100.0 * (rssEnd - rssStart) / rssStart:+0.0;-0.0} %)"));
            return unintended == 0 && rssEnd <= rssStart * 1.10 ? 0 : 1;
        }
        finally
        {
            File.Delete(index);
        }
    }

    private static ByteArrayContent Raw(byte[] jpeg)
    {
        var content = new ByteArrayContent(jpeg);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        return content;
    }

    private static MultipartFormDataContent Form(byte[] jpeg, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent { { Raw(jpeg), "images", "a.jpg" } };
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        return form;
    }

    private static double Pct(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
    }

    /// <summary>A 640x480 JPEG of a shipped sample (quality 90).</summary>
    private static byte[] MakeJpeg(string sample)
    {
        using var source = Cv2.ImRead(sample);
        using var resized = source.Resize(new Size(640, 480));
        Cv2.ImEncode(".jpg", resized, out var bytes, new ImageEncodingParam(ImwriteFlags.JpegQuality, 90));
        return bytes;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OpenVocab.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Run from inside the repository.");
    }

    /// <summary>One server per configuration, each with its client; disposing stops them all.</summary>
    private sealed class ServerArms : IAsyncDisposable
    {
        private readonly List<Server> _servers = [];

        public List<HttpClient> Clients { get; } = [];

        public static async Task<ServerArms> StartAsync(string pack, string[][] args)
        {
            var arms = new ServerArms();
            try
            {
                foreach (var a in args)
                {
                    arms._servers.Add(await Server.StartAsync(pack, a));
                    arms.Clients.Add(new HttpClient { BaseAddress = arms._servers[^1].Rest });
                }

                return arms;
            }
            catch
            {
                await arms.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            Clients.ForEach(c => c.Dispose());
            foreach (var server in _servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>A server on free loopback ports, ready, stopped on dispose.</summary>
    private sealed class Server : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Server(WebApplication app, ServerEndpoints endpoints)
        {
            _app = app;
            Rest = endpoints.Rest;
            Grpc = endpoints.Grpc;
        }

        public Uri Rest { get; }

        public Uri? Grpc { get; }

        public static async Task<Server> StartAsync(string pack, string[] extra)
        {
            var app = OpenVocabServer.Build([$"--Server:Model={pack}", "--Server:Url=http://127.0.0.1:0", "--Server:GrpcUrl=http://127.0.0.1:0",
                "--Logging:LogLevel:Default=Warning", "--Server:QueueLimit=1024", .. extra]);
            await app.StartAsync();
            var endpoints = (ServerEndpoints)app.Services.GetService(typeof(ServerEndpoints))!;
            using var probe = new HttpClient { BaseAddress = endpoints.Rest };
            while ((await probe.GetAsync("/readyz")).StatusCode != HttpStatusCode.OK)
            {
                await Task.Delay(100);
            }

            return new Server(app, endpoints);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
