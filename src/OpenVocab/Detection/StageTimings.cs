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
