using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpenVocab.Inference;

/// <summary>
/// The manifest <c>openvocab.json</c> of a model pack (format <c>openvocab-pack/1</c>). Paths are relative to the manifest
/// and must stay inside its folder unless <see cref="ModelPackOptions.AllowExternalPaths"/> is set.
/// </summary>
public sealed record ModelPackManifest
{
    /// <summary>The only format this version reads.</summary>
    public const string CurrentFormat = "openvocab-pack/1";

    /// <summary>Format tag; must be <see cref="CurrentFormat"/>.</summary>
    public string Format { get; init; } = CurrentFormat;

    /// <summary>Display name of the pack.</summary>
    public string? Name { get; init; }

    /// <summary>CLIP text encoder, if the pack has one.</summary>
    public TextEncoderManifest? TextEncoder { get; init; }

    /// <summary>CLIP image encoder, if the pack has one.</summary>
    public ImageEncoderManifest? ImageEncoder { get; init; }

    /// <summary>Detector, if the pack has one.</summary>
    public DetectorManifest? Detector { get; init; }

    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };
}

/// <summary>
/// Tokenizer files: <see cref="Bpe"/> (OpenAI format, gz or plain), <see cref="Vocab"/> + <see cref="Merges"/>
/// (Hugging Face CLIPTokenizer), or <see cref="Json"/> (Hugging Face <c>tokenizer.json</c>).
/// </summary>
public sealed record TokenizerManifest
{
    /// <summary>Hugging Face <c>tokenizer.json</c> whose model is CLIP's byte-level BPE (vocab and merges are read from it).</summary>
    public string? Json { get; init; }

    /// <summary>OpenAI <c>bpe_simple_vocab_16e6.txt(.gz)</c>-format merges file.</summary>
    public string? Bpe { get; init; }

    /// <summary>Hugging Face <c>vocab.json</c>.</summary>
    public string? Vocab { get; init; }

    /// <summary>Hugging Face <c>merges.txt</c>.</summary>
    public string? Merges { get; init; }
}

/// <summary>Text encoder entry: <c>input_ids</c> int64 [B, L] to embeddings [B, D].</summary>
public sealed record TextEncoderManifest
{
    /// <summary>ONNX file.</summary>
    public string Onnx { get; init; } = "";

    /// <summary>Tokenizer files.</summary>
    public TokenizerManifest Tokenizer { get; init; } = new();

    /// <summary>Token context length L.</summary>
    public int ContextLength { get; init; } = 77;

    /// <summary>Name of the token-id input.</summary>
    public string InputIds { get; init; } = "input_ids";

    /// <summary>Name of the embedding output.</summary>
    public string Output { get; init; } = "text_embeds";

    /// <summary>
    /// Inputs of a graph shared with the image tower (an Optimum <c>model.onnx</c> holds both) that text encoding does
    /// not use, each with the shape of the constant placeholder (all ones) fed to it; null when there are none.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<long>>? PlaceholderInputs { get; init; }
}

/// <summary>Image encoder entry: <c>pixel_values</c> float32 [B, 3, S, S] to embeddings [B, D].</summary>
public sealed record ImageEncoderManifest
{
    /// <summary>ONNX file.</summary>
    public string Onnx { get; init; } = "";

    /// <summary>Name of the pixel input.</summary>
    public string Input { get; init; } = "pixel_values";

    /// <summary>Name of the embedding output.</summary>
    public string Output { get; init; } = "image_embeds";

    /// <summary>Square input size S; read from the graph when left out.</summary>
    public int? ImageSize { get; init; }

    /// <summary>Per-channel RGB mean (0..1 scale).</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0.48145466f, 0.4578275f, 0.40821073f];

    /// <summary>Per-channel RGB standard deviation.</summary>
    public IReadOnlyList<float> Std { get; init; } = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>Multiplier applied to cosine similarities before the softmax.</summary>
    public float LogitScale { get; init; } = 100f;

    /// <summary>
    /// How the centre-crop offset <c>(size - S) / 2</c> is rounded: <see cref="CropRoundHalfEven"/> (OpenAI's and
    /// torchvision's <c>CenterCrop</c>, the default) or <see cref="CropFloor"/> (Hugging Face's CLIPImageProcessor).
    /// The two differ by one pixel when the margin is odd and its half rounds up.
    /// </summary>
    public string CenterCrop { get; init; } = CropRoundHalfEven;

    /// <summary>torchvision's <c>round((size - S) / 2)</c>, Python's round half to even.</summary>
    public const string CropRoundHalfEven = "round";

    /// <summary>Hugging Face's <c>(size - S) // 2</c>.</summary>
    public const string CropFloor = "floor";

    /// <summary>
    /// Inputs of a graph shared with the text tower that image encoding does not use, each with the shape of the
    /// constant placeholder (all ones) fed to it; null when there are none.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<long>>? PlaceholderInputs { get; init; }
}

/// <summary>Detector entry.</summary>
public sealed record DetectorManifest
{
    /// <summary>ONNX file.</summary>
    public string Onnx { get; init; } = "";

    /// <summary>Name of the image input (float32 [1, 3, H, W], RGB 0..1).</summary>
    public string Images { get; init; } = "images";

    /// <summary>Name of the text-embedding input (float32 [1, N, D]); null for a closed-set export with baked-in classes.</summary>
    public string? TextInput { get; init; }

    /// <summary>
    /// Name of the output: for <see cref="YoloLayout"/> the [1, 4+N, A] tensor, the graph's first output when left
    /// out; for <see cref="ScoresBoxesLayout"/> the scores [1, A, N], <c>scores</c> when left out.
    /// </summary>
    public string? Output { get; init; }

    /// <summary>Name of the boxes output [1, A, 4] of the <see cref="ScoresBoxesLayout"/>; <c>boxes</c> when left out.</summary>
    public string? Boxes { get; init; }

    /// <summary>Output layout: <see cref="YoloLayout"/> (the default) or <see cref="ScoresBoxesLayout"/>.</summary>
    public string Layout { get; init; } = YoloLayout;

    /// <summary>ultralytics' layout: one output [1, 4+N, A], rows cx, cy, w, h in input pixels, then N sigmoid scores.</summary>
    public const string YoloLayout = "yolo";

    /// <summary>
    /// The layout of YOLO-World's own deploy exports without NMS: <see cref="Output"/> scores [1, A, N] (sigmoid) and
    /// <see cref="Boxes"/> [1, A, 4] as x1, y1, x2, y2 in input pixels.
    /// </summary>
    public const string ScoresBoxesLayout = "scores-boxes";

    /// <summary>N when the graph fixes it; null when N is dynamic (read from the graph when left out).</summary>
    public int? MaxClasses { get; init; }
}
