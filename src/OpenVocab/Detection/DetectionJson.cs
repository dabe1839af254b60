using System.Text.Json;

namespace OpenVocab.Detection;

/// <summary>
/// The one JSON shape of detections, written by every producer: the CLI's <c>detect --json</c>, the video JSON Lines
/// sink and the server's <c>/v1/detect</c> answer. A detection is
/// <c>{"label":S,"classIndex":I,"score":F,"box":[x1,y1,x2,y2]}</c>, plus <c>"trackId":I</c> when the detection has one
/// and <c>"attribute":{"label":S,"score":F,"topK":[{"label":S,"score":F}]}</c> when its box was classified;
/// an image result is <c>{"image":S,"width":W,"height":H,"detections":[...],"speedMs":{"preprocess":F,"inference":F,"postprocess":F}}</c>
/// (with <c>"attributes":F</c> in <c>speedMs</c> when boxes were classified).
/// </summary>
/// <remarks>
/// Numbers are rounded once, here: scores to 4 decimals (finer than any threshold a caller sets, and the tolerance the
/// parity tests hold against the Python originals), box corners to 2 decimals (1/100 pixel) and milliseconds to 3
/// decimals (microseconds). Rounding keeps the documents short and identical across producers; callers that need the
/// raw floats use <see cref="DetectedObject"/> directly. Stateless and thread-safe; the writer stays the caller's.
/// </remarks>
public static class DetectionJson
{
    /// <summary>Decimals kept for a score.</summary>
    public const int ScoreDecimals = 4;

    /// <summary>Decimals kept for a box corner in pixels.</summary>
    public const int BoxDecimals = 2;

    /// <summary>Decimals kept for a time in milliseconds.</summary>
    public const int MillisecondDecimals = 3;

    /// <summary>Writes one detection object.</summary>
    /// <param name="writer">Where to write; positioned where a value may start.</param>
    /// <param name="detection">The detection.</param>
    public static void WriteDetection(Utf8JsonWriter writer, in DetectedObject detection)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("label", detection.Label);
        writer.WriteNumber("classIndex", detection.ClassIndex);
        writer.WriteNumber("score", RoundScore(detection.Score));
        writer.WriteStartArray("box");
        writer.WriteNumberValue(RoundPixel(detection.Box.X1));
        writer.WriteNumberValue(RoundPixel(detection.Box.Y1));
        writer.WriteNumberValue(RoundPixel(detection.Box.X2));
        writer.WriteNumberValue(RoundPixel(detection.Box.Y2));
        writer.WriteEndArray();
        if (detection.TrackId is { } id)
        {
            writer.WriteNumber("trackId", id);
        }

        if (detection.Attribute is { } attribute)
        {
            writer.WriteStartObject("attribute");
            writer.WriteString("label", attribute.Label);
            writer.WriteNumber("score", RoundScore(attribute.Score));
            writer.WriteStartArray("topK");
            foreach (var p in attribute.TopK)
            {
                writer.WriteStartObject();
                writer.WriteString("label", p.Label);
                writer.WriteNumber("score", RoundScore(p.Score));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes the <c>"detections"</c> property: an array of detection objects.</summary>
    /// <param name="writer">Where to write; inside an object.</param>
    /// <param name="detections">The detections, in order.</param>
    public static void WriteDetectionsProperty(Utf8JsonWriter writer, IReadOnlyList<DetectedObject> detections)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(detections);
        writer.WriteStartArray("detections");
        for (var i = 0; i < detections.Count; i++)
        {
            WriteDetection(writer, detections[i]);
        }

        writer.WriteEndArray();
    }

    /// <summary>Writes one image's result object (the items of <c>detect --json</c>'s <c>results</c> array).</summary>
    /// <param name="writer">Where to write; positioned where a value may start.</param>
    /// <param name="image">The image's name as the caller knows it (a path, an upload's file name).</param>
    /// <param name="result">The result.</param>
    public static void WriteResult(Utf8JsonWriter writer, string image, DetectionResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        writer.WriteStartObject();
        writer.WriteString("image", image);
        writer.WriteNumber("width", result.Width);
        writer.WriteNumber("height", result.Height);
        WriteDetectionsProperty(writer, result.Detections);
        writer.WriteStartObject("speedMs");
        writer.WriteNumber("preprocess", RoundMilliseconds(result.Timings.PreprocessMs));
        writer.WriteNumber("inference", RoundMilliseconds(result.Timings.InferenceMs));
        writer.WriteNumber("postprocess", RoundMilliseconds(result.Timings.PostprocessMs));
        if (result.Timings.AttributesMs > 0)
        {
            writer.WriteNumber("attributes", RoundMilliseconds(result.Timings.AttributesMs));
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Writes the whole <c>{"results":[...]}</c> document for several images.</summary>
    /// <param name="writer">Where to write; positioned where a value may start.</param>
    /// <param name="results">Image names and their results, in order.</param>
    public static void WriteDocument(Utf8JsonWriter writer, IReadOnlyList<(string Image, DetectionResult Result)> results)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(results);
        writer.WriteStartObject();
        writer.WriteStartArray("results");
        foreach (var (image, result) in results)
        {
            WriteResult(writer, image, result);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>A score as written: rounded to <see cref="ScoreDecimals"/>.</summary>
    public static double RoundScore(float score) => Math.Round(score, ScoreDecimals);

    /// <summary>A pixel coordinate as written: rounded to <see cref="BoxDecimals"/>.</summary>
    public static double RoundPixel(float value) => Math.Round(value, BoxDecimals);

    /// <summary>A time as written: rounded to <see cref="MillisecondDecimals"/>.</summary>
    public static double RoundMilliseconds(double milliseconds) => Math.Round(milliseconds, MillisecondDecimals);
}
