using System.CommandLine;
using OpenVocab.Inference;

namespace OpenVocab.Cli.Commands;

/// <summary><c>openvocab info</c>: what a pack holds.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var packOptions = new PackOptions();
        var command = new Command("info", "Show what a model pack holds: files, graph inputs and outputs, embedding size, class limit.") { packOptions.Model, packOptions.AllowExternalPaths, packOptions.Variant };
        command.SetAction(parse => CliHost.Run(() =>
        {
            var pack = packOptions.Load(parse);
            var m = pack.Manifest;
            Console.WriteLine($"pack:      {pack.Name} ({pack.ManifestPath ?? (pack.Inferred.Count > 0 ? $"Hugging Face folder {pack.Directory}, no manifest" : "bare closed-set ONNX")})");
            foreach (string line in pack.Inferred)
            {
                Console.WriteLine($"inferred:  {line}");
            }

            Console.WriteLine($"providers: {string.Join(", ", OnnxSessionFactory.AvailableProviders())}");
            if (m.TextEncoder is { } text)
            {
                var tokenizer = text.Tokenizer.Json ?? text.Tokenizer.Bpe ?? $"{text.Tokenizer.Vocab} + {text.Tokenizer.Merges}";
                Section("text encoder", pack.Resolve(text.Onnx), $"tokenizer {tokenizer}, context length {text.ContextLength}");
            }

            if (m.ImageEncoder is { } image)
            {
                Section("image encoder", pack.Resolve(image.Onnx),
                    $"image size {(image.ImageSize?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "from graph")}, logit scale {image.LogitScale}");
            }

            if (m.Detector is { } detector)
            {
                var kind = detector.TextInput is null ? "closed-set (classes baked in)" : $"open-vocabulary, text input '{detector.TextInput}'";
                Section("detector", pack.Resolve(detector.Onnx), kind);
                using var d = OpenVocab.Detection.Detector.Load(pack);
                Console.WriteLine($"  input size: {d.InputWidth}x{d.InputHeight}");
                Console.WriteLine(d.IsOpenVocabulary
                    ? $"  classes per run: {(d.MaxClasses is { } n ? $"fixed at {n} (fewer padded, more chunked)" : "dynamic (any number in one pass)")}"
                    : $"  classes: {d.ModelClassNames.Count} ({string.Join(", ", d.ModelClassNames.Take(10))}{(d.ModelClassNames.Count > 10 ? ", ..." : "")})");
            }

            return 0;
        }));
        return command;
    }

    private static void Section(string title, string file, string detail)
    {
        Console.WriteLine($"{title}: {Path.GetFileName(file)} ({new FileInfo(file).Length / 1024.0:0.0} KiB), {detail}");
        using var session = OnnxSessionFactory.Create(file);
        foreach (var (name, meta) in session.InputMetadata)
        {
            Console.WriteLine($"  input  {name}: {GraphContract.Describe(meta)}");
        }

        foreach (var (name, meta) in session.OutputMetadata)
        {
            Console.WriteLine($"  output {name}: {GraphContract.Describe(meta)}");
        }
    }
}
