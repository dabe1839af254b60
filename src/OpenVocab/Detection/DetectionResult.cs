namespace OpenVocab.Detection;

/// <summary>Detections for one image. The caller owns it; the library never reuses it.</summary>
/// <param name="Width">Original image width in pixels.</param>
/// <param name="Height">Original image height in pixels.</param>
/// <param name="Detections">Detections sorted by score, boxes in original pixels, clipped to the image.</param>
/// <param name="Timings">Per-stage timings.</param>
public sealed record DetectionResult(int Width, int Height, IReadOnlyList<DetectedObject> Detections, StageTimings Timings);
