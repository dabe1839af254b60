using System.Globalization;
using System.Text.Json;

namespace OpenVocab.Inference;

/// <summary>
/// Works out a model pack from a Hugging Face CLIP ONNX folder as it is downloaded, with no <c>openvocab.json</c>:
/// the graphs (transformers.js' <c>onnx/text_model.onnx</c> + <c>onnx/vision_model.onnx</c> and their variants, or
/// Optimum's <c>model.onnx</c> holding both towers), the tokenizer (<c>tokenizer.json</c>, or <c>vocab.json</c> +
/// <c>merges.txt</c>), the preprocessing (<c>preprocessor_config.json</c>) and the logit scale (<c>config.json</c>).
/// Tensor names and shapes come from the graphs' own signatures, read without loading their weights.
/// </summary>
internal static class HuggingFaceClipFolder
{
    public const string ConfigFile = "config.json";
    public const string PreprocessorFile = "preprocessor_config.json";
    public const string TokenizerJsonFile = "tokenizer.json";
    public const string TokenizerConfigFile = "tokenizer_config.json";
    public const string VocabFile = "vocab.json";
    public const string MergesFile = "merges.txt";

    private const string InputIds = "input_ids";
    private const string AttentionMask = "attention_mask";
    private const string PixelValues = "pixel_values";
    private const string TextEmbeds = "text_embeds";
    private const string ImageEmbeds = "image_embeds";

    // PIL's resampling filter numbers as preprocessor_config.json stores them; only bicubic is what CLIP was trained with.
    private static readonly string[] ResampleNames = ["nearest", "lanczos", "bilinear", "bicubic", "box", "hamming"];

    /// <summary>True when a folder without a manifest holds files of a Hugging Face model folder.</summary>
    public static bool Looks(string directory) =>
        new[] { ConfigFile, PreprocessorFile, TokenizerJsonFile, VocabFile, "model.onnx" }.Any(f => File.Exists(Path.Combine(directory, f)))
        || System.IO.Directory.Exists(Path.Combine(directory, "onnx"));

    /// <summary>Infers the manifest; <paramref name="notes"/> says what was read from where (shown by <c>openvocab info</c>).</summary>
    /// <exception cref="ModelLoadException">A file the folder needs is missing or invalid (the message names it).</exception>
    public static ModelPackManifest Infer(string directory, HuggingFaceClipOptions options, out IReadOnlyList<string> notes)
    {
        var said = new List<string>();
        JsonElement? config = ReadJson(directory, ConfigFile, required: false);
        if (config is { } c && Text(c, "model_type") is { } modelType && modelType is not ("clip" or "clip_text_model" or "clip_vision_model"))
        {
            throw Fail(directory, $"{ConfigFile} says model_type '{modelType}': only CLIP folders (model_type 'clip') are read without an openvocab.json");
        }

        string suffix = options.Variant is null ? "" : "_" + options.Variant;
        var (textFile, visionFile, layout) = FindGraphs(directory, suffix, options.Variant);
        said.Add($"layout: {layout}" + (options.Variant is null ? "" : $", variant '{options.Variant}'"));

        OnnxGraphSignature? textGraph = textFile is null ? null : OnnxGraphSignature.Read(Path.Combine(directory, textFile));
        OnnxGraphSignature? visionGraph = visionFile is null ? null : textFile == visionFile ? textGraph : OnnxGraphSignature.Read(Path.Combine(directory, visionFile));

        TextEncoderManifest? text = null;
        int contextLength = 0;
        if (textGraph is not null)
        {
            RequireInput(directory, textFile!, textGraph, InputIds, "int64 [batch, sequence] token ids");
            RequireOutput(directory, textFile!, textGraph, TextEmbeds, "float32 [batch, D] text embeddings");
            var (tokenizer, tokenizerNote) = FindTokenizer(directory);
            (contextLength, string lengthNote) = ContextLength(directory, config, textGraph.Input(InputIds)!);
            foreach (OnnxTensorSignature input in textGraph.Inputs)
            {
                if (input.Name is InputIds or AttentionMask)
                {
                    continue;
                }

                if (input.Name == PixelValues && textFile == visionFile)
                {
                    continue; // filled in below, once the image size is known
                }

                throw Fail(directory, $"'{textFile}' has an input {input} that a CLIP text encoder does not feed (expected '{InputIds}' and optionally '{AttentionMask}')");
            }

            text = new TextEncoderManifest
            {
                Onnx = textFile!,
                Tokenizer = tokenizer,
                ContextLength = contextLength,
                InputIds = InputIds,
                Output = TextEmbeds,
            };
            said.Add($"text encoder: {textFile}: {textGraph.Input(InputIds)}{(textGraph.Input(AttentionMask) is { } m ? $" + {m} (fed 1 up to end-of-text)" : ", no attention_mask")} -> {textGraph.Output(TextEmbeds)}");
            said.Add($"tokenizer: {tokenizerNote}; context length {contextLength} ({lengthNote})");
        }

        ImageEncoderManifest? image = null;
        if (visionGraph is not null)
        {
            RequireInput(directory, visionFile!, visionGraph, PixelValues, "float32 [batch, 3, S, S] pixels");
            RequireOutput(directory, visionFile!, visionGraph, ImageEmbeds, "float32 [batch, D] image embeddings");
            var (size, mean, std, preprocessNote) = Preprocessing(directory);
            var (logitScale, scaleNote) = LogitScale(config, options);
            Dictionary<string, IReadOnlyList<long>>? placeholders = null;
            foreach (OnnxTensorSignature input in visionGraph.Inputs)
            {
                if (input.Name == PixelValues)
                {
                    continue;
                }

                if (textFile == visionFile && input.Name is InputIds or AttentionMask)
                {
                    placeholders ??= [];
                    placeholders[input.Name] = [1, FixedOr(input, 1, contextLength)];
                    continue;
                }

                throw Fail(directory, $"'{visionFile}' has an input {input} that a CLIP image encoder does not feed (expected '{PixelValues}')");
            }

            image = new ImageEncoderManifest
            {
                Onnx = visionFile!,
                Input = PixelValues,
                Output = ImageEmbeds,
                ImageSize = size,
                Mean = mean,
                Std = std,
                LogitScale = logitScale,
                CenterCrop = ImageEncoderManifest.CropFloor,
                PlaceholderInputs = placeholders,
            };
            said.Add($"image encoder: {visionFile}: {visionGraph.Input(PixelValues)} -> {visionGraph.Output(ImageEmbeds)}");
            said.Add($"preprocessing: {preprocessNote}");
            said.Add($"logit scale: {logitScale.ToString("0.####", CultureInfo.InvariantCulture)} ({scaleNote})");
            if (text is not null && textFile == visionFile)
            {
                text = text with { PlaceholderInputs = new Dictionary<string, IReadOnlyList<long>> { [PixelValues] = [1, 3, size, size] } };
                said.Add($"one graph holds both towers: each encoder feeds the other tower's inputs a one-row placeholder and asks only for its own output");
            }
        }

        notes = said;
        string name = config is { } cfg && Text(cfg, "_name_or_path") is { Length: > 0 } n ? n : Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
        return new ModelPackManifest { Name = name, TextEncoder = text, ImageEncoder = image };
    }

    private static (string? Text, string? Vision, string Layout) FindGraphs(string directory, string suffix, string? variant)
    {
        foreach (string prefix in new[] { "onnx/", "" })
        {
            string text = $"{prefix}text_model{suffix}.onnx", vision = $"{prefix}vision_model{suffix}.onnx";
            bool hasText = File.Exists(Path.Combine(directory, text)), hasVision = File.Exists(Path.Combine(directory, vision));
            if (hasText || hasVision)
            {
                return (hasText ? text : null, hasVision ? vision : null,
                    $"separate towers (transformers.js / Optimum): {(hasText ? text : "no text model")}, {(hasVision ? vision : "no vision model")}");
            }
        }

        foreach (string combined in new[] { $"model{suffix}.onnx", $"onnx/model{suffix}.onnx" })
        {
            if (File.Exists(Path.Combine(directory, combined)))
            {
                return (combined, combined, $"one graph with both towers (Optimum): {combined}");
            }
        }

        string[] present = [.. new[] { directory, Path.Combine(directory, "onnx") }
            .Where(System.IO.Directory.Exists)
            .SelectMany(d => System.IO.Directory.EnumerateFiles(d, "*.onnx"))
            .Select(f => Path.GetRelativePath(directory, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];
        string wanted = $"onnx/text_model{suffix}.onnx and/or onnx/vision_model{suffix}.onnx (transformers.js), or model{suffix}.onnx with both towers (Optimum)";
        throw Fail(directory, variant is null
            ? $"has no CLIP ONNX graphs: expected {wanted}; found {(present.Length == 0 ? "no .onnx files" : string.Join(", ", present))}"
            : $"has no '{variant}' variant: expected {wanted}; the .onnx files there are {(present.Length == 0 ? "none" : string.Join(", ", present))}");
    }

    private static (TokenizerManifest Tokenizer, string Note) FindTokenizer(string directory)
    {
        if (File.Exists(Path.Combine(directory, TokenizerJsonFile)))
        {
            return (new TokenizerManifest { Json = TokenizerJsonFile }, $"{TokenizerJsonFile} (its BPE model's vocab and merges)");
        }

        bool vocab = File.Exists(Path.Combine(directory, VocabFile)), merges = File.Exists(Path.Combine(directory, MergesFile));
        if (vocab && merges)
        {
            return (new TokenizerManifest { Vocab = VocabFile, Merges = MergesFile }, $"{VocabFile} + {MergesFile}");
        }

        throw Fail(directory, vocab ? $"has {VocabFile} but no {MergesFile} beside it (the BPE merges the tokenizer needs)"
            : merges ? $"has {MergesFile} but no {VocabFile} beside it (the token ids the tokenizer needs)"
            : $"has a text model but no tokenizer: expected {TokenizerJsonFile}, or {VocabFile} + {MergesFile}");
    }

    private static (int Length, string Note) ContextLength(string directory, JsonElement? config, OnnxTensorSignature inputIds)
    {
        if (ReadJson(directory, TokenizerConfigFile, required: false) is { } tokenizerConfig
            && Integer(tokenizerConfig, "model_max_length") is { } max and >= 2 and <= 1_000_000)
        {
            // tokenizers write a huge sentinel (1e30) when no length is set; only a plausible one is taken.
            return ((int)max, $"{TokenizerConfigFile} model_max_length");
        }

        if (config is { } c && c.TryGetProperty("text_config", out JsonElement textConfig) && Integer(textConfig, "max_position_embeddings") is { } positions and >= 2)
        {
            return ((int)positions, $"{ConfigFile} text_config.max_position_embeddings");
        }

        if (inputIds.Shape is { Count: 2 } shape && shape[1].Value is { } fixedLength and >= 2)
        {
            return ((int)fixedLength, $"the graph's fixed '{InputIds}' length");
        }

        return (77, "CLIP's default; no tokenizer_config.json or config.json gives one");
    }

    private static (int Size, float[] Mean, float[] Std, string Note) Preprocessing(string directory)
    {
        JsonElement p = ReadJson(directory, PreprocessorFile, required: true)!.Value;
        if (Bool(p, "do_resize") == false || Bool(p, "do_center_crop") == false)
        {
            throw Fail(directory, $"{PreprocessorFile} turns off {(Bool(p, "do_resize") == false ? "do_resize" : "do_center_crop")}: CLIP preprocessing (shortest side resize, centre crop) is what the encoder supports");
        }

        int? resize = SizeValue(directory, p, "size", shortestEdge: true);
        int? crop = SizeValue(directory, p, "crop_size", shortestEdge: false) ?? resize;
        if (resize is null || crop is null)
        {
            throw Fail(directory, $"{PreprocessorFile} gives no \"size\" ({{\"shortest_edge\": S}} or S) to resize to");
        }

        if (resize != crop)
        {
            throw Fail(directory, $"{PreprocessorFile} resizes the shortest side to {resize} but crops {crop}: only equal sizes (as every released CLIP has) are supported");
        }

        long resample = Integer(p, "resample") ?? 3;
        if (resample != 3)
        {
            string named = resample >= 0 && resample < ResampleNames.Length ? ResampleNames[resample] : "unknown";
            throw Fail(directory, $"{PreprocessorFile} asks for resample {resample} ({named}); only 3 (bicubic, Pillow-exact) is supported");
        }

        if (Bool(p, "do_rescale") != false && Number(p, "rescale_factor") is { } factor && Math.Abs(factor - (1 / 255.0)) > 1e-9)
        {
            throw Fail(directory, $"{PreprocessorFile} rescales by {factor.ToString(CultureInfo.InvariantCulture)}; only 1/255 is supported");
        }

        float[] mean = [0f, 0f, 0f], std = [1f, 1f, 1f];
        if (Bool(p, "do_normalize") != false)
        {
            mean = Triple(directory, p, "image_mean");
            std = Triple(directory, p, "image_std");
        }

        string F(float[] v) => "[" + string.Join(", ", v.Select(x => x.ToString("0.########", CultureInfo.InvariantCulture))) + "]";
        return (crop.Value, mean, std,
            $"{PreprocessorFile}: shortest side to {resize} (bicubic), centre crop {crop} (offset floored, as Hugging Face does), mean {F(mean)}, std {F(std)}");
    }

    private static (float Scale, string Note) LogitScale(JsonElement? config, HuggingFaceClipOptions options)
    {
        if (config is { } c && Number(c, "logit_scale") is { } log && double.IsFinite(log))
        {
            return ((float)Math.Exp(log), $"{ConfigFile} logit_scale {log.ToString(CultureInfo.InvariantCulture)}, exponentiated");
        }

        return options.LogitScale is { } given
            ? (given, "given in the options")
            : (HuggingFaceClipOptions.DefaultLogitScale, $"default; {ConfigFile} has no trained logit_scale (logit_scale_init_value is the value before training)");
    }

    private static int? SizeValue(string directory, JsonElement p, string key, bool shortestEdge)
    {
        if (!p.TryGetProperty(key, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int square) && square > 0)
        {
            return square;
        }

        if (v.ValueKind == JsonValueKind.Object)
        {
            if (shortestEdge && Integer(v, "shortest_edge") is { } edge and > 0)
            {
                return (int)edge;
            }

            if (Integer(v, "height") is { } h and > 0 && Integer(v, "width") is { } w && w == h)
            {
                if (shortestEdge)
                {
                    throw Fail(directory, $"{PreprocessorFile} \"{key}\" is {v.GetRawText()}: a resize to a fixed height and width does not keep the aspect ratio, which CLIP preprocessing does; expected {{\"shortest_edge\": S}}");
                }

                return (int)h;
            }
        }

        throw Fail(directory, $"{PreprocessorFile} \"{key}\" is {v.GetRawText()}: expected a positive integer, {(shortestEdge ? "{\"shortest_edge\": S}" : "{\"height\": S, \"width\": S}")}");
    }

    private static float[] Triple(string directory, JsonElement p, string key)
    {
        if (p.TryGetProperty(key, out JsonElement v) && v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 3
            && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number))
        {
            return [.. v.EnumerateArray().Select(x => x.GetSingle())];
        }

        throw Fail(directory, $"{PreprocessorFile} \"{key}\" is {(p.TryGetProperty(key, out JsonElement raw) ? raw.GetRawText() : "missing")}: expected 3 numbers (R, G, B)");
    }

    private static void RequireInput(string directory, string file, OnnxGraphSignature graph, string name, string expected)
    {
        if (graph.Input(name) is null)
        {
            throw Fail(directory, $"'{file}' has no input '{name}' (expected {expected}); its inputs are {string.Join(", ", graph.Inputs)}");
        }
    }

    private static void RequireOutput(string directory, string file, OnnxGraphSignature graph, string name, string expected)
    {
        if (graph.Output(name) is null)
        {
            throw Fail(directory, $"'{file}' has no output '{name}' (expected {expected}); its outputs are {string.Join(", ", graph.Outputs)}");
        }
    }

    private static long FixedOr(OnnxTensorSignature input, int dimension, int fallback) =>
        input.Shape is { } s && s.Count > dimension && s[dimension].Value is { } v and > 0 ? v : fallback;

    private static JsonElement? ReadJson(string directory, string file, bool required)
    {
        string path = Path.Combine(directory, file);
        if (!File.Exists(path))
        {
            return required ? throw Fail(directory, $"has a vision model but no {file} (it gives the image size, crop, mean and std)") : null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException(path, "expected a JSON object.", null);
            }

            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, $"expected a JSON object, but it is not valid JSON ({e.Message}).", e);
        }
    }

    private static string? Text(JsonElement e, string key) => e.TryGetProperty(key, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool? Bool(JsonElement e, string key) => e.TryGetProperty(key, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static double? Number(JsonElement e, string key) => e.TryGetProperty(key, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static long? Integer(JsonElement e, string key) =>
        e.TryGetProperty(key, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l) ? l : null;

    private static ModelLoadException Fail(string directory, string what) =>
        new($"Hugging Face CLIP folder '{directory}' (no {ModelPack.ManifestFileName}) {what}.");
}
