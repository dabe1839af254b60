using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using OpenVocab.Cli.Models;
using OpenVocab.Inference;

namespace OpenVocab.Cli.Commands;

/// <summary><c>openvocab models list|pull|export</c>: local packs, the hub cache, and the YOLO-World export script.</summary>
internal static class ModelsCommand
{
    public static Command Create() => new("models", "Model packs: list what is here, pull Hugging Face repositories into the cache, export YOLO-World.")
    {
        List(),
        Pull(),
        Export(),
    };

    private static Command List()
    {
        var command = new Command("list", "List local model packs (the shipped pack, folders under ./models) and the repositories in the cache.");
        command.SetAction(_ => CliHost.Run(() =>
        {
            Console.WriteLine("local packs:");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string root in new[] { Path.Combine(Environment.CurrentDirectory, "models"), Path.GetDirectoryName(CliHost.ResolveModel(null))! }.Distinct())
            {
                if (!Directory.Exists(root))
                {
                    continue;
                }

                foreach (string dir in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
                {
                    if (File.Exists(Path.Combine(dir, ModelPack.ManifestFileName)) && seen.Add(Path.GetFullPath(dir)))
                    {
                        Describe(dir);
                    }
                }
            }

            var cache = ModelCache.FromEnvironment();
            Console.WriteLine($"cache: {cache.Root}{(cache.Offline ? " (offline)" : "")}");
            IReadOnlyList<CachedModel> cached = cache.List();
            if (cached.Count == 0)
            {
                Console.WriteLine("  (empty: openvocab models pull OWNER/NAME)");
            }

            foreach (CachedModel m in cached)
            {
                string revisions = m.Revisions.Count == 0 ? "" : $" ({string.Join(", ", m.Revisions)})";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  hf:{m.Repo}@{m.Commit[..Math.Min(12, m.Commit.Length)]}{revisions}  {m.Files} files, {m.Bytes / 1048576.0:0.0} MiB  {m.Folder}"));
            }

            return 0;
        }));
        return command;
    }

    private static void Describe(string dir)
    {
        try
        {
            ModelPack pack = ModelPack.Load(dir);
            var parts = new List<string>();
            if (pack.Manifest.TextEncoder is not null)
            {
                parts.Add("text");
            }

            if (pack.Manifest.ImageEncoder is not null)
            {
                parts.Add("image");
            }

            if (pack.Manifest.Detector is { } d)
            {
                parts.Add(d.TextInput is null ? "closed-set detector" : "detector");
            }

            Console.WriteLine($"  {pack.Name}: {string.Join(" + ", parts)}  {dir}");
        }
        catch (ModelLoadException e)
        {
            Console.WriteLine($"  {Path.GetFileName(dir)}: not loadable ({e.Message})");
        }
    }

    private static Command Pull()
    {
        var repo = new Argument<string>("repo") { Description = "OWNER/NAME[@REVISION], e.g. Xenova/clip-vit-base-patch32 (revision: branch, tag or commit; default main)." };
        var variant = new Option<string?>("--variant") { Description = "ONNX variant to take, e.g. quantized (onnx/text_model_quantized.onnx); default the full-precision graphs." };
        var all = new Option<bool>("--all") { Description = "Download every file of the repository, not only configs, tokenizer and one variant's ONNX graphs." };
        var command = new Command("pull", "Download a Hugging Face model repository into the cache (resumable, checked against the hub's SHA-256). "
            + "Environment: HF_ENDPOINT, HF_TOKEN, OPENVOCAB_CACHE, OPENVOCAB_OFFLINE.") { repo, variant, all };
        command.SetAction(parse => CliHost.RunCancellable(cancel =>
        {
            var cache = ModelCache.FromEnvironment();
            string spec = parse.GetValue(repo)!;
            string folder = PullWithProgress(cache, spec, parse.GetValue(variant), parse.GetValue(all), cancel);
            Console.WriteLine(folder);
            return 0;
        }, "interrupted: the files finished so far are kept, and the next pull resumes the rest."));
        return command;
    }

    /// <summary>Pulls with a progress bar (plain lines when stderr is redirected).</summary>
    public static string PullWithProgress(ModelCache cache, string spec, string? variant, bool all, CancellationToken cancel)
    {
        using var progress = CliProgress.Start($"pull {spec}", null, bytes: true);
        return cache.PullAsync(spec, variant, all, (done, total) => progress.Report(done, total), cancel).GetAwaiter().GetResult();
    }

    private static Command Export()
    {
        var weights = new Option<string>("--weights") { Description = "YOLO-World checkpoint (yolov8s-worldv2.pt ... yolov8x-worldv2.pt).", Required = true };
        var output = new Option<string>("--out") { Description = "Pack folder to write.", Required = true };
        var imgsz = new Option<int?>("--imgsz") { Description = "Square input size (multiple of 32; default 640)." };
        var maxClasses = new Option<int?>("--max-classes") { Description = "Fix the class count N instead of leaving it dynamic." };
        var python = new Option<string>("--python")
        {
            Description = "Python interpreter with torch, onnx, ultralytics and OpenAI's clip (default: $OPENVOCAB_PYTHON or python3).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("OPENVOCAB_PYTHON") is { Length: > 0 } p ? p : "python3",
        };
        var yolo = new Command("yolo-world", "Export a YOLO-World v2 checkpoint with its CLIP text encoder as a pack (runs models/export/export_yolo_world.py).")
        {
            weights, output, imgsz, maxClasses, python,
        };
        yolo.SetAction(parse => CliHost.Run(() =>
        {
            string script = FindScript("export_yolo_world.py");
            string interpreter = parse.GetValue(python)!;
            const string Needs = "It needs Python 3.8+ with torch, onnx, ultralytics (pip install ultralytics) and OpenAI's clip "
                + "(pip install git+https://github.com/openai/CLIP.git); see models/README.md. Choose the interpreter with --python or OPENVOCAB_PYTHON.";
            var (code, error) = RunProcess(interpreter, ["-c", "import torch, onnx, ultralytics, clip"], capture: true);
            if (code != 0)
            {
                throw new InvalidOperationException($"'{interpreter}' cannot run the YOLO-World export: {FirstLine(error)}. {Needs}");
            }

            var args = new List<string> { script, "--weights", parse.GetValue(weights)!, "--out", parse.GetValue(output)! };
            if (parse.GetValue(imgsz) is { } size)
            {
                args.AddRange(["--imgsz", size.ToString(CultureInfo.InvariantCulture)]);
            }

            if (parse.GetValue(maxClasses) is { } n)
            {
                args.AddRange(["--max-classes", n.ToString(CultureInfo.InvariantCulture)]);
            }

            (code, _) = RunProcess(interpreter, args, capture: false);
            return code == 0 ? 0 : throw new InvalidOperationException($"the export script exited with code {code} (its messages are above). {Needs}");
        }));
        return new Command("export", "Export real weights into a pack with the Python scripts in models/export.") { yolo };
    }

    private static string FirstLine(string text)
    {
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "no output" : lines[^1];
    }

    private static (int Code, string Stderr) RunProcess(string file, IEnumerable<string> args, bool capture)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = capture, RedirectStandardOutput = capture, UseShellExecute = false };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        try
        {
            using Process process = Process.Start(start)!;
            string stderr = capture ? process.StandardError.ReadToEnd() : "";
            if (capture)
            {
                process.StandardOutput.ReadToEnd();
            }

            process.WaitForExit();
            return (process.ExitCode, stderr);
        }
        catch (Win32Exception e)
        {
            return (-1, $"it could not be started ({e.Message})");
        }
    }

    private static string FindScript(string name)
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "models", "export", name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new InvalidOperationException($"models/export/{name} was not found above '{Environment.CurrentDirectory}' or '{AppContext.BaseDirectory}': run from a checkout of the OpenVocab repository.");
    }
}
