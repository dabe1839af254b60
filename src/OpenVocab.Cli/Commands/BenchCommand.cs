using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OpenCvSharp;
using OpenVocab.Detection;
using OpenVocab.Imaging;

namespace OpenVocab.Cli.Commands;

/// <summary><c>openvocab bench</c>: per-stage timings of the detect path on this machine, and the overhead around ONNX.</summary>
internal static class BenchCommand
{
    private static readonly string[] DefaultClasses =
    [
        "red circle", "red square", "blue circle", "blue star", "green triangle", "yellow square", "purple circle", "orange star",
        "red triangle", "blue square", "green circle", "yellow star", "purple square", "orange circle", "pink circle", "cyan square",
    ];

    public static Command Create()
    {
        var pack = new PackOptions();
        var image = new Option<string?>("--image") { Description = "Image to run on (default: samples/shapes_1.jpg from the repository, else a generated scene)." };
        var sizes = new Option<string[]>("--size")
        {
            Description = "Resize the image to WxH before measuring; repeat or comma-separate for several sizes (default: 1280x720 and 4000x3000).",
            AllowMultipleArgumentsPerToken = true,
        };
        var classes = new Option<string[]>("--classes", "-c")
        {
            Description = "Prompts for open-vocabulary packs (default: 16 ShapesWorld prompts); for closed-set packs, a name filter.",
            AllowMultipleArgumentsPerToken = true,
        };
        var iterations = new Option<int>("--iterations", "-n") { Description = "Measured iterations per stage.", DefaultValueFactory = _ => 100 };
        var warmup = new Option<int>("--warmup") { Description = "Unmeasured iterations first.", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (0: its default, one per physical core).", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON document to stdout." };
        var device = SharedOptions.Device();

        var command = new Command("bench", "Time each stage of detection (median and p95), the ONNX share and the allocations per call.")
        {
            pack.Model, pack.AllowExternalPaths, pack.Variant, image, sizes, classes, iterations, warmup, threads, json, device,
        };
        command.SetAction(parse => CliHost.Run(() =>
        {
            var n = parse.GetValue(iterations);
            var w = parse.GetValue(warmup);
            if (n < 1 || w < 0)
            {
                throw new ArgumentException($"--iterations must be 1 or more and --warmup 0 or more (got {n} and {w}).");
            }

            var inference = SharedOptions.Inference(parse.GetValue(device)) with { IntraOpThreads = parse.GetValue(threads) };
            var names = CliHost.SplitList(parse.GetValue(classes), "--classes", "prompt");
            var sizeList = CliHost.SplitList(parse.GetValue(sizes), "--size", "size");
            using var logging = CliHost.CreateLoggerFactory();
            var modelPath = pack.Path(parse);
            using var detector = Detector.Load(pack.Load(parse), inference, logging.CreateLogger("openvocab"));
            if (detector.IsOpenVocabulary || names.Length > 0)
            {
                detector.SetClasses(names.Length > 0 ? names : DefaultClasses);
            }

            var (source, imageName) = LoadImage(parse.GetValue(image));
            using (source)
            {
                var targets = ParseSizes(sizeList, parse.GetValue(image) is null ? null : source.Size());
                var runs = targets.Select(size => DetectBench.Measure(detector, source, size, n, w)).ToList();
                var text = detector.IsOpenVocabulary ? DetectBench.MeasureText(detector, n, w) : null;
                var header = new BenchHeader(modelPath, imageName, detector.InputWidth, detector.InputHeight,
                    detector.Classes?.Labels.Count ?? 0, n, inference.Provider.ToString(), Environment.ProcessorCount);
                if (parse.GetValue(json))
                {
                    WriteJson(header, runs, text);
                }
                else
                {
                    PrintText(header, runs, text);
                }
            }

            return 0;
        }));
        return command;
    }

    private static (Mat Image, string Name) LoadImage(string? path)
    {
        if (path is not null)
        {
            return (ImageLoader.Read(path), path);
        }

        var sample = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(CliHost.ResolveModel(null)))!, "..", "samples", "shapes_1.jpg");
        if (File.Exists(sample))
        {
            return (ImageLoader.Read(sample), Path.GetRelativePath(Environment.CurrentDirectory, Path.GetFullPath(sample)));
        }

        // No repository around (an installed tool): a scene of coloured shapes on grey is enough to time the stages.
        var scene = new Mat(720, 1280, MatType.CV_8UC3, new Scalar(128, 128, 128));
        Cv2.Circle(scene, new Point(300, 300), 120, new Scalar(0, 0, 255), -1);
        Cv2.Rectangle(scene, new Rect(700, 200, 250, 250), new Scalar(255, 0, 0), -1);
        return (scene, "generated 1280x720 scene");
    }

    /// <summary>The sizes asked for; without any, the given image as it is, or the sample at two typical sizes.</summary>
    private static List<Size> ParseSizes(string[] values, Size? givenImage)
    {
        if (values.Length == 0)
        {
            return givenImage is { } own ? [own] : [new Size(1280, 720), new Size(4000, 3000)];
        }

        var sizes = new List<Size>();
        foreach (var value in values)
        {
            var parts = value.Split('x', 'X');
            if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var width) ||
                !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var height) || width < 1 || height < 1 || width > 20000 || height > 20000)
            {
                throw new ArgumentException($"--size '{value}' is not WxH with both between 1 and 20000 (for example 1280x720).");
            }

            sizes.Add(new Size(width, height));
        }

        return sizes;
    }

    private static void PrintText(BenchHeader h, List<DetectBench.SizeRun> runs, DetectBench.TextRun? text)
    {
        Console.WriteLine($"model {h.Model}: detector {h.InputWidth}x{h.InputHeight}, {h.Classes} classes, {h.Provider}, {h.Cores} logical cores");
        Console.WriteLine($"image {h.Image}, {h.Iterations} iterations per stage (median / p95 ms)");
        foreach (var r in runs)
        {
            Console.WriteLine();
            Console.WriteLine($"{r.Width}x{r.Height}:");
            foreach (var (name, s) in r.Stages)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-22} {s.Median,9:0.000} {s.P95,9:0.000}"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  overhead (detect - ONNX) / ONNX: {r.OverheadRatio:0.000}   allocated per detect: {r.AllocatedBytesPerDetect:0} B ({r.Detections} detections)"));
            Console.WriteLine("  (overhead = preprocess + postprocess + outside the stages, per call; medians of parts need not add up)");
        }

        if (text is not null)
        {
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"text: {text.Prompts} prompts uncached {text.Uncached.Median:0.000} / {text.Uncached.P95:0.000} ms ({text.RunsPerUncached} encoder run each), cached {text.Cached.Median:0.000} / {text.Cached.P95:0.000} ms ({text.RunsPerCached} runs)"));
        }
    }

    private static void WriteJson(BenchHeader h, List<DetectBench.SizeRun> runs, DetectBench.TextRun? text)
    {
        using var output = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(output))
        {
            w.WriteStartObject();
            w.WriteString("model", h.Model);
            w.WriteString("image", h.Image);
            w.WriteString("provider", h.Provider);
            w.WriteNumber("logicalCores", h.Cores);
            w.WriteNumber("inputWidth", h.InputWidth);
            w.WriteNumber("inputHeight", h.InputHeight);
            w.WriteNumber("classes", h.Classes);
            w.WriteNumber("iterations", h.Iterations);
            w.WriteStartArray("sizes");
            foreach (var r in runs)
            {
                w.WriteStartObject();
                w.WriteNumber("width", r.Width);
                w.WriteNumber("height", r.Height);
                w.WriteNumber("detections", r.Detections);
                w.WriteNumber("overheadRatio", r.OverheadRatio);
                w.WriteNumber("allocatedBytesPerDetect", r.AllocatedBytesPerDetect);
                w.WriteStartObject("stagesMs");
                foreach (var (name, s) in r.Stages)
                {
                    WriteStats(w, name, s);
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (text is not null)
            {
                w.WriteStartObject("text");
                w.WriteNumber("prompts", text.Prompts);
                WriteStats(w, "uncachedMs", text.Uncached);
                WriteStats(w, "cachedMs", text.Cached);
                w.WriteNumber("encoderRunsUncached", text.RunsPerUncached);
                w.WriteNumber("encoderRunsCached", text.RunsPerCached);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        Console.WriteLine();
    }

    private static void WriteStats(Utf8JsonWriter w, string name, DetectBench.Stats s)
    {
        w.WriteStartObject(name);
        w.WriteNumber("median", s.Median);
        w.WriteNumber("p95", s.P95);
        w.WriteEndObject();
    }

    private sealed record BenchHeader(string Model, string Image, int InputWidth, int InputHeight, int Classes, int Iterations, string Provider, int Cores);
}
