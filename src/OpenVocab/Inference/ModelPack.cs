using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace OpenVocab.Inference;

/// <summary>
/// A model pack on disk: its manifest with every file path resolved and checked to exist.
/// Loading reads only the manifest; graphs are opened and checked against it by the components that run them.
/// Immutable and thread-safe.
/// </summary>
public sealed class ModelPack
{
    /// <summary>Manifest file name inside a pack folder.</summary>
    public const string ManifestFileName = "openvocab.json";

    private readonly ModelPackOptions _options;

    private ModelPack(string directory, string? manifestPath, ModelPackManifest manifest, ModelPackOptions options, IReadOnlyList<string>? inferred = null)
    {
        Directory = directory;
        ManifestPath = manifestPath;
        Manifest = manifest;
        _options = options;
        Inferred = inferred ?? [];
    }

    /// <summary>Folder holding the pack.</summary>
    public string Directory { get; }

    /// <summary>Manifest file, or null for a bare closed-set ONNX file or a Hugging Face folder loaded without one.</summary>
    public string? ManifestPath { get; }

    /// <summary>
    /// For a Hugging Face CLIP folder loaded without a manifest: one line per thing worked out from its files (layout,
    /// graphs and tensors, tokenizer, context length, preprocessing, logit scale). Empty for a pack with a manifest.
    /// </summary>
    public IReadOnlyList<string> Inferred { get; }

    /// <summary>The parsed manifest.</summary>
    public ModelPackManifest Manifest { get; }

    /// <summary>Display name.</summary>
    public string Name => Manifest.Name ?? Path.GetFileName(Directory);

    /// <summary>
    /// Loads a pack from a folder holding <c>openvocab.json</c>, from the manifest file itself, from a bare
    /// closed-set YOLO <c>.onnx</c> export (class names from its metadata), or from a Hugging Face CLIP ONNX folder as
    /// it is downloaded (no manifest: the pack is worked out from its files, see <see cref="Inferred"/>).
    /// </summary>
    /// <param name="path">The pack folder, its manifest, a closed-set <c>.onnx</c> file, or a Hugging Face CLIP folder.</param>
    /// <param name="options">How the manifest is checked; <see cref="ModelPackOptions.Default"/> when null, which
    /// refuses files outside the pack folder; <see cref="ModelPackOptions.HuggingFace"/> says how a Hugging Face folder is read.</param>
    /// <exception cref="ModelLoadException">The path, the manifest or a file it names is missing or invalid, a file
    /// is a symbolic link loop, or a file lies outside the pack folder and <paramref name="options"/> does not allow it.</exception>
    public static ModelPack Load(string path, ModelPackOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= ModelPackOptions.Default;
        var full = Path.GetFullPath(path);
        if (File.Exists(full) && full.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            var closedSet = new ModelPackManifest
            {
                Name = Path.GetFileNameWithoutExtension(full),
                Detector = new DetectorManifest { Onnx = Path.GetFileName(full) },
            };
            return new ModelPack(Path.GetDirectoryName(full)!, null, closedSet, options);
        }

        var manifestPath = System.IO.Directory.Exists(full) ? Path.Combine(full, ManifestFileName) : full;
        if (System.IO.Directory.Exists(full) && !File.Exists(manifestPath) && HuggingFaceClipFolder.Looks(full))
        {
            var huggingFace = options.HuggingFace ?? new HuggingFaceClipOptions();
            huggingFace.Validate();
            var inferred = HuggingFaceClipFolder.Infer(full, huggingFace, out var notes);
            var hfPack = new ModelPack(full, null, inferred, options, notes);
            hfPack.Validate();
            return hfPack;
        }

        if (!File.Exists(manifestPath))
        {
            throw new ModelLoadException(System.IO.Directory.Exists(full)
                ? $"Model pack '{full}' has no {ManifestFileName}: expected a folder with a manifest, the manifest itself, or a closed-set .onnx file."
                : $"Model pack '{full}' does not exist: expected a folder with {ManifestFileName}, the manifest itself, or a closed-set .onnx file.");
        }

        ModelPackManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelPackManifest>(File.ReadAllText(manifestPath), ModelPackManifest.JsonOptions);
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"Manifest '{manifestPath}' is not valid JSON ({e.Message}).", e);
        }

        if (manifest is null)
        {
            throw new ModelLoadException($"Manifest '{manifestPath}' is empty: expected an object with \"format\": \"{ModelPackManifest.CurrentFormat}\".");
        }

        var pack = new ModelPack(Path.GetDirectoryName(manifestPath)!, manifestPath, manifest, options);
        pack.Validate();
        return pack;
    }

    /// <summary>Absolute path of a file named by the manifest.</summary>
    public string Resolve(string relativePath) => Path.GetFullPath(Path.Combine(Directory, relativePath));

    private void Validate()
    {
        var m = Manifest;
        if (m.Format != ModelPackManifest.CurrentFormat)
        {
            Fail($"\"format\" is '{m.Format}', expected '{ModelPackManifest.CurrentFormat}'");
        }

        if (m.TextEncoder is null && m.ImageEncoder is null && m.Detector is null)
        {
            Fail("names no textEncoder, imageEncoder or detector; expected at least one");
        }

        if (m.TextEncoder is { } text)
        {
            RequireFile("textEncoder.onnx", text.Onnx);
            if (text.ContextLength < 2)
            {
                Fail($"textEncoder.contextLength is {text.ContextLength}, expected at least 2 (start and end tokens)");
            }

            var tok = text.Tokenizer;
            if (tok.Json is not null)
            {
                RequireFile("textEncoder.tokenizer.json", tok.Json);
            }
            else if (tok.Bpe is not null)
            {
                RequireFile("textEncoder.tokenizer.bpe", tok.Bpe);
            }
            else if (tok.Vocab is not null && tok.Merges is not null)
            {
                RequireFile("textEncoder.tokenizer.vocab", tok.Vocab);
                RequireFile("textEncoder.tokenizer.merges", tok.Merges);
            }
            else
            {
                Fail("textEncoder.tokenizer names neither \"json\", \"bpe\" nor both \"vocab\" and \"merges\"");
            }
        }

        if (m.ImageEncoder is { } image)
        {
            RequireFile("imageEncoder.onnx", image.Onnx);
            if (image.Mean.Count != 3 || image.Std.Count != 3 || image.Std.Any(s => s <= 0))
            {
                Fail("imageEncoder.mean and .std must each hold 3 values, std all positive");
            }

            if (image.CenterCrop is not (ImageEncoderManifest.CropRoundHalfEven or ImageEncoderManifest.CropFloor))
            {
                Fail($"imageEncoder.centerCrop is '{image.CenterCrop}', expected '{ImageEncoderManifest.CropRoundHalfEven}' (OpenAI, torchvision) or '{ImageEncoderManifest.CropFloor}' (Hugging Face)");
            }
        }

        if (m.Detector is { } detector)
        {
            RequireFile("detector.onnx", detector.Onnx);
            if (detector.Layout is not (DetectorManifest.YoloLayout or DetectorManifest.ScoresBoxesLayout))
            {
                Fail($"detector.layout is '{detector.Layout}', expected '{DetectorManifest.YoloLayout}' ([1,4+N,A]) or '{DetectorManifest.ScoresBoxesLayout}' (scores [1,A,N] and boxes [1,A,4])");
            }

            if (detector.Boxes is not null && detector.Layout != DetectorManifest.ScoresBoxesLayout)
            {
                Fail($"detector.boxes names an output, but only the '{DetectorManifest.ScoresBoxesLayout}' layout has a separate boxes output");
            }

            if (detector.MaxClasses is < 1)
            {
                Fail($"detector.maxClasses is {detector.MaxClasses}, expected null (dynamic) or at least 1");
            }

            if (detector.TextInput is not null && m.TextEncoder is null)
            {
                Fail("has a detector with a text input but no textEncoder to make its embeddings");
            }
        }
    }

    private void RequireFile(string key, string relative)
    {
        if (string.IsNullOrWhiteSpace(relative))
        {
            Fail($"{key} is empty, expected a file name");
        }

        var file = Resolve(relative);
        var real = LinkResolver.Resolve(file);
        if (real is null)
        {
            Fail($"{key} names '{relative}', which is a symlink loop: following the links from '{file}' comes back around " +
                $"(or passes more than {LinkResolver.MaxLinks} links) instead of reaching a file");
        }

        if (!File.Exists(real))
        {
            Fail($"{key} names '{relative}', which does not exist (looked for '{file}'{(real == file ? "" : $", a link to '{real}'")})");
        }

        if (!_options.AllowExternalPaths && !LinkResolver.IsInside(real, LinkResolver.Resolve(Directory) ?? Directory))
        {
            Fail($"{key} names '{relative}', which {(real == file ? "is" : "resolves to")} '{real}', outside the pack folder '{Directory}'. " +
                $"A pack may name only files inside its own folder; to load it anyway, pass {nameof(ModelPackOptions)} {{ {nameof(ModelPackOptions.AllowExternalPaths)} = true }} " +
                "(CLI: --allow-external-paths)");
        }
    }

    [DoesNotReturn]
    private void Fail(string what) => throw new ModelLoadException(ManifestPath is null
        ? $"Model pack '{Directory}' (worked out without a manifest) {what}."
        : $"Model pack manifest '{ManifestPath}' {what}.");
}
