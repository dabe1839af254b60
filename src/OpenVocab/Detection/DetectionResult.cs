namespace OpenVocab.Detection;

/// <summary>Milliseconds spent in each stage of one detect call.</summary>
/// <param name="PreprocessMs">Decode-independent preprocessing: letterbox and tensor packing.</param>
/// <param name="InferenceMs">ONNX Runtime (all chunks when classes are chunked).</param>
/// <param name="PostprocessMs">Decoding, NMS and mapping boxes back to the image.</param>
public readonly record struct StageTimings(double PreprocessMs, double InferenceMs, double PostprocessMs)
{
    /// <summary>Attribute classification of kept boxes (crops, image encoder, scoring); 0 when the class set has no attributes.</summary>
    public double AttributesMs { get; init; }

    /// <summary>Sum of the stages.</summary>
    public double TotalMs => PreprocessMs + InferenceMs + PostprocessMs + AttributesMs;
}

/// <summary>Detections for one image. The caller owns it; the library never reuses it.</summary>
/// <param name="Width">Original image width in pixels.</param>
/// <param name="Height">Original image height in pixels.</param>
/// <param name="Detections">Detections sorted by score, boxes in original pixels, clipped to the image.</param>
/// <param name="Timings">Per-stage timings.</param>
public sealed record DetectionResult(int Width, int Height, IReadOnlyList<DetectedObject> Detections, StageTimings Timings);
