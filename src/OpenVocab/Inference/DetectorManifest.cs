namespace OpenVocab.Inference;

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
