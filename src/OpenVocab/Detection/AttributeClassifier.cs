using System.Diagnostics;
using OpenCvSharp;
using OpenVocab.Classification;

namespace OpenVocab.Detection;

/// <summary>A class's attribute labels, encoded once for zero-shot scoring, and how many predictions a detection keeps.</summary>
/// <param name="Labels">The encoded labels.</param>
/// <param name="TopK">Predictions kept per detection.</param>
internal sealed record AttributeLabels(ZeroShotLabelSet Labels, int TopK);

/// <summary>
/// Detect, then classify the box: crops every kept detection whose class has attributes, runs all crops of one image
/// through the CLIP image encoder in batches, and scores each against its class's labels. Stateless apart from the
/// encoders it is given; thread-safe.
/// </summary>
internal static class AttributeClassifier
{
    /// <summary>
    /// The square, image-clipped region a box is classified from: centred on the box with side max(w, h). CLIP's
    /// preprocessing centre-crops a square, so a tight crop of a long box would lose its ends; the square keeps the whole
    /// object and a little context, as CLIP saw objects in training.
    /// </summary>
    internal static Rect CropRegion(BoundingBox box, int width, int height)
    {
        var side = Math.Max(box.X2 - box.X1, box.Y2 - box.Y1);
        var cx = (box.X1 + box.X2) / 2;
        var cy = (box.Y1 + box.Y2) / 2;
        var x1 = Math.Clamp((int)Math.Floor(cx - (side / 2)), 0, width - 1);
        var y1 = Math.Clamp((int)Math.Floor(cy - (side / 2)), 0, height - 1);
        var x2 = Math.Clamp((int)Math.Ceiling(cx + (side / 2)), x1 + 1, width);
        var y2 = Math.Clamp((int)Math.Ceiling(cy + (side / 2)), y1 + 1, height);
        return new Rect(x1, y1, x2 - x1, y2 - y1);
    }

    /// <summary>
    /// Returns <paramref name="result"/> with an attribute on every detection whose class has attributes (the same
    /// result when none does), and the time spent in <see cref="StageTimings.AttributesMs"/>.
    /// </summary>
    /// <param name="bgr">The 8-bit BGR image the result's boxes refer to; not modified.</param>
    /// <param name="result">Detections in <paramref name="bgr"/>'s pixels.</param>
    /// <param name="byClass">Per class index, its attribute labels or null.</param>
    /// <param name="classifier">Scores image embeddings against labels (its image encoder embeds the crops).</param>
    public static DetectionResult Apply(Mat bgr, DetectionResult result, AttributeLabels?[] byClass, ZeroShotClassifier classifier)
    {
        var start = Stopwatch.GetTimestamp();
        var detections = result.Detections;
        var which = new List<int>();
        for (var i = 0; i < detections.Count; i++)
        {
            var c = detections[i].ClassIndex;
            if ((uint)c < (uint)byClass.Length && byClass[c] is not null)
            {
                which.Add(i);
            }
        }

        if (which.Count == 0)
        {
            return result;
        }

        var crops = new Mat[which.Count];
        try
        {
            for (var k = 0; k < which.Count; k++)
            {
                // A view into the image, not a copy: the encoder's preprocessing reads it through its step.
                crops[k] = new Mat(bgr, CropRegion(detections[which[k]].Box, bgr.Width, bgr.Height));
            }

            // One call for all crops of the image: the encoder batches up to its MaxBatchSize per run (one image per
            // run when the graph fixes its batch at 1).
            var embeddings = classifier.ImageEncoder.Encode(crops);
            var annotated = detections.ToArray();
            for (var k = 0; k < which.Count; k++)
            {
                var d = annotated[which[k]];
                var spec = byClass[d.ClassIndex]!;
                var scored = classifier.Score(embeddings[k], spec.Labels, spec.TopK);
                annotated[which[k]] = d with { Attribute = new AttributeResult(scored.Top.Label, scored.Top.Score, scored.Predictions) };
            }

            var timings = result.Timings with { AttributesMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds };
            return result with { Detections = annotated, Timings = timings };
        }
        finally
        {
            foreach (var crop in crops)
            {
                crop?.Dispose();
            }
        }
    }
}
