using System.Numerics;
using System.Runtime.InteropServices;
using OpenVocab.Imaging;

namespace OpenVocab.Detection;

/// <summary>
/// Turns a raw YOLO detection output laid out <c>[4 + N, A]</c> (channel-major: rows cx, cy, w, h, then N class
/// scores, one column per anchor) into <see cref="DetectedObject"/>s, exactly as ultralytics predict's
/// <c>non_max_suppression</c> (<c>multi_label=False</c>) followed by <c>scale_boxes</c>:
/// best class per anchor, score &gt; confidence, optional class filter, top <c>MaxCandidates</c> by score,
/// per-class (or agnostic) NMS, at most <c>MaxDetections</c>, boxes mapped back through the letterbox and clipped.
/// </summary>
/// <remarks>
/// Thread safety: an instance may be shared between threads. It keeps one reusable workspace; a call takes it,
/// and a call made while another thread holds it works in a new workspace of its own (that call allocates).
/// With one decoder per thread, or calls that do not overlap, decoding allocates nothing in steady state
/// beyond the results themselves.
/// </remarks>
public sealed class YoloOutputDecoder
{
    private Workspace? _cached;

    /// <summary>
    /// Decodes <paramref name="output"/> and appends the detections, highest score first, to
    /// <paramref name="results"/>, with boxes mapped to the source image by <paramref name="transform"/>.
    /// </summary>
    /// <param name="output">The output tensor's data, <c>(4 + classColumns) · A</c> floats; read during the call only.</param>
    /// <param name="classColumns">N, the number of score rows in the output.</param>
    /// <param name="validClasses">How many of the first score rows are real classes; the rest are padding and never
    /// reach results. Between 0 and <paramref name="classColumns"/>.</param>
    /// <param name="labels">Labels by class index; at least <paramref name="validClasses"/> of them.</param>
    /// <param name="options">Thresholds and limits.</param>
    /// <param name="transform">The letterbox the input was made with.</param>
    /// <param name="results">Receives the detections; the caller owns it. Not cleared.</param>
    /// <returns>The number of detections appended.</returns>
    /// <exception cref="ArgumentException">The output length or the label count does not fit the class counts.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A class count is out of range.</exception>
    public int Decode(
        ReadOnlySpan<float> output,
        int classColumns,
        int validClasses,
        IReadOnlyList<string> labels,
        DetectionOptions options,
        in LetterboxTransform transform,
        ICollection<DetectedObject> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return Run(output, classColumns, validClasses, labels, options, transform, mapBack: true, results, out _);
    }

    /// <summary>
    /// Decodes <paramref name="output"/> and appends the detections, highest score first, to
    /// <paramref name="results"/>, with boxes left in network-input pixels (not clipped).
    /// </summary>
    /// <param name="output">The output tensor's data, <c>(4 + classColumns) · A</c> floats; read during the call only.</param>
    /// <param name="classColumns">N, the number of score rows in the output.</param>
    /// <param name="validClasses">How many of the first score rows are real classes.</param>
    /// <param name="labels">Labels by class index; at least <paramref name="validClasses"/> of them.</param>
    /// <param name="options">Thresholds and limits.</param>
    /// <param name="results">Receives the detections; the caller owns it. Not cleared.</param>
    /// <returns>The number of detections appended.</returns>
    /// <exception cref="ArgumentException">The output length or the label count does not fit the class counts.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A class count is out of range.</exception>
    public int Decode(
        ReadOnlySpan<float> output,
        int classColumns,
        int validClasses,
        IReadOnlyList<string> labels,
        DetectionOptions options,
        ICollection<DetectedObject> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return Run(output, classColumns, validClasses, labels, options, default, mapBack: false, results, out _);
    }

    /// <summary>
    /// Decodes <paramref name="output"/> into a new array (owned by the caller), highest score first, with boxes
    /// mapped to the source image by <paramref name="transform"/>.
    /// </summary>
    /// <param name="output">The output tensor's data, <c>(4 + classColumns) · A</c> floats; read during the call only.</param>
    /// <param name="classColumns">N, the number of score rows in the output.</param>
    /// <param name="validClasses">How many of the first score rows are real classes.</param>
    /// <param name="labels">Labels by class index; at least <paramref name="validClasses"/> of them.</param>
    /// <param name="options">Thresholds and limits.</param>
    /// <param name="transform">The letterbox the input was made with.</param>
    /// <returns>The detections.</returns>
    /// <exception cref="ArgumentException">The output length or the label count does not fit the class counts.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A class count is out of range.</exception>
    public DetectedObject[] Decode(
        ReadOnlySpan<float> output,
        int classColumns,
        int validClasses,
        IReadOnlyList<string> labels,
        DetectionOptions options,
        in LetterboxTransform transform)
    {
        Run(output, classColumns, validClasses, labels, options, transform, mapBack: true, null, out var array);
        return array!;
    }

    /// <summary>As the public overload, with a minimum score per score row (overriding the options' confidence).</summary>
    internal int Decode(ReadOnlySpan<float> output, int classColumns, int validClasses, IReadOnlyList<string> labels,
        DetectionOptions options, float[]? columnConfidence, ICollection<DetectedObject> results) =>
        Run(output, classColumns, validClasses, labels, options, default, mapBack: false, results, out _, columnConfidence);

    /// <summary>As the public overload, with a minimum score per score row (overriding the options' confidence).</summary>
    internal DetectedObject[] Decode(ReadOnlySpan<float> output, int classColumns, int validClasses, IReadOnlyList<string> labels,
        DetectionOptions options, float[]? columnConfidence, in LetterboxTransform transform)
    {
        Run(output, classColumns, validClasses, labels, options, transform, mapBack: true, null, out var array, columnConfidence);
        return array!;
    }

    private int Run(
        ReadOnlySpan<float> output,
        int classColumns,
        int validClasses,
        IReadOnlyList<string> labels,
        DetectionOptions options,
        in LetterboxTransform transform,
        bool mapBack,
        ICollection<DetectedObject>? results,
        out DetectedObject[]? array,
        float[]? columnConfidence = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classColumns);
        if (validClasses < 0 || validClasses > classColumns)
        {
            throw new ArgumentOutOfRangeException(nameof(validClasses), validClasses,
                $"validClasses must be in [0, {classColumns}].");
        }

        int rows = 4 + classColumns;
        if (output.Length == 0 || output.Length % rows != 0)
        {
            throw new ArgumentException(
                $"The output holds {output.Length} floats, not a whole number of anchors for [{rows}, A].",
                nameof(output));
        }

        if (labels.Count < validClasses)
        {
            throw new ArgumentException($"{labels.Count} labels for {validClasses} classes.", nameof(labels));
        }

        if (columnConfidence is not null && columnConfidence.Length < validClasses)
        {
            throw new ArgumentException($"{columnConfidence.Length} per-class confidences for {validClasses} classes.", nameof(columnConfidence));
        }

        if (mapBack && transform.Gain <= 0)
        {
            throw new ArgumentException("The letterbox transform is not initialised.", nameof(transform));
        }

        int anchors = output.Length / rows;
        var ws = Interlocked.Exchange(ref _cached, null) ?? new Workspace();
        try
        {
            ws.EnsureAnchors(anchors);
            var best = ws.Best.AsSpan(0, anchors);
            var cls = ws.Class.AsSpan(0, anchors);
            if (validClasses > 0)
            {
                BestClass(output, anchors, validClasses, best, cls);
            }

            int kept = validClasses == 0 ? 0 : Select(output, anchors, best, cls, options, columnConfidence, ws);
            return Emit(output, anchors, best, cls, labels, transform, mapBack, ws.Keep.AsSpan(0, kept), results, out array);
        }
        finally
        {
            Volatile.Write(ref _cached, ws);
        }
    }

    /// <summary>
    /// Selection, NMS and mapping for anchors whose best score and class are already known: merged over several
    /// runs (chunks of a fixed-N graph) or several prompts per label. The same steps as a single pass from there on.
    /// </summary>
    /// <param name="boxRows">cx, cy, w, h rows, <c>4 · anchors</c> floats (the head of a yolo-layout output).</param>
    /// <param name="best">Best score per anchor.</param>
    /// <param name="cls">Class (index into <paramref name="labels"/>) of that score per anchor.</param>
    /// <param name="labels">Labels by class index.</param>
    /// <param name="options">Thresholds and limits; the class filter applies to <paramref name="cls"/>.</param>
    /// <param name="classConfidence">Minimum score per class index, overriding the options' confidence; or null.</param>
    /// <param name="transform">The letterbox the input was made with.</param>
    internal DetectedObject[] DecodeBest(ReadOnlySpan<float> boxRows, ReadOnlySpan<float> best, ReadOnlySpan<int> cls,
        IReadOnlyList<string> labels, DetectionOptions options, float[]? classConfidence, in LetterboxTransform transform)
    {
        int anchors = best.Length;
        var ws = Interlocked.Exchange(ref _cached, null) ?? new Workspace();
        try
        {
            ws.EnsureAnchors(anchors);
            int kept = Select(boxRows, anchors, best, cls, options, classConfidence, ws);
            Emit(boxRows, anchors, best, cls, labels, transform, mapBack: true, ws.Keep.AsSpan(0, kept), null, out var array);
            return array!;
        }
        finally
        {
            Volatile.Write(ref _cached, ws);
        }
    }

    /// <summary>Turns the kept positions of <c>ws.Keys</c> into detections, into a new array or appended to <paramref name="results"/>.</summary>
    private static int Emit(ReadOnlySpan<float> boxRows, int anchors, ReadOnlySpan<float> best, ReadOnlySpan<int> cls,
        IReadOnlyList<string> labels, in LetterboxTransform transform, bool mapBack, ReadOnlySpan<int> keep,
        ICollection<DetectedObject>? results, out DetectedObject[]? array)
    {
        array = results is null ? new DetectedObject[keep.Length] : null;
        for (int k = 0; k < keep.Length; k++)
        {
            int anchor = keep[k];
            var box = BoundingBox.FromCenter(
                boxRows[anchor], boxRows[anchors + anchor], boxRows[(2 * anchors) + anchor], boxRows[(3 * anchors) + anchor]);
            if (mapBack)
            {
                box = transform.MapToSource(box);
            }

            int c = cls[anchor];
            var detection = new DetectedObject(box, best[anchor], c, labels[c]);
            if (array is not null)
            {
                array[k] = detection;
            }
            else
            {
                results!.Add(detection);
            }
        }

        return keep.Length;
    }

    /// <summary>Runs everything after the best class per anchor up to NMS; the kept anchors, best first, end up
    /// in <c>ws.Keep[0..count]</c>.</summary>
    private static int Select(ReadOnlySpan<float> boxRows, int anchors, ReadOnlySpan<float> best, ReadOnlySpan<int> cls,
        DetectionOptions options, float[]? classConfidence, Workspace ws)
    {
        // torch compares the float32 scores with the Python threshold converted to float32.
        float conf = (float)options.Confidence;
        var filter = options.ClassFilter;
        int count = 0;
        var keys = ws.Keys;
        for (int a = 0; a < anchors; a++)
        {
            float s = best[a];
            if (s > (classConfidence is null ? conf : classConfidence[cls[a]]) && (filter is null || filter.Contains(cls[a])))
            {
                keys[count++] = NonMaxSuppression.SortKey(s, a);
            }
        }

        if (count == 0)
        {
            return 0;
        }

        // Score descending, ties by anchor: torch's argsort for max_nms is not stable, so ties at the
        // max_nms cut are the one place the order cannot be matched; elsewhere this is torchvision's stable order.
        keys.AsSpan(0, count).Sort();
        int n = Math.Min(count, options.MaxCandidates);
        var x1 = ws.X1.AsSpan(0, n);
        var y1 = ws.Y1.AsSpan(0, n);
        var x2 = ws.X2.AsSpan(0, n);
        var y2 = ws.Y2.AsSpan(0, n);
        bool agnostic = options.Agnostic;
        for (int k = 0; k < n; k++)
        {
            int a = NonMaxSuppression.IndexOf(keys[k]);
            var b = BoundingBox.FromCenter(boxRows[a], boxRows[anchors + a], boxRows[(2 * anchors) + a], boxRows[(3 * anchors) + a]);
            float offset = agnostic ? 0f : cls[a] * NonMaxSuppression.ClassOffset;
            x1[k] = b.X1 + offset;
            y1[k] = b.Y1 + offset;
            x2[k] = b.X2 + offset;
            y2[k] = b.Y2 + offset;
        }

        var keep = ws.Keep.AsSpan(0, Math.Min(n, options.MaxDetections));
        int kept = NonMaxSuppression.SuppressSorted(x1, y1, x2, y2, ws.Area.AsSpan(0, n), ws.Suppressed.AsSpan(0, n),
            options.IoU, keep);
        for (int k = 0; k < kept; k++)
        {
            keep[k] = NonMaxSuppression.IndexOf(keys[keep[k]]);
        }

        return kept;
    }

    /// <summary>
    /// Best score and class per anchor over the first <paramref name="validClasses"/> score rows, reading each row
    /// contiguously. Ties go to the lower class index, as torch's max does.
    /// </summary>
    internal static void BestClass(ReadOnlySpan<float> output, int anchors, int validClasses, Span<float> best, Span<int> cls)
    {
        output.Slice(4 * anchors, anchors).CopyTo(best);
        cls.Clear();
        var bestV = MemoryMarshal.Cast<float, Vector<float>>(best);
        var clsV = MemoryMarshal.Cast<int, Vector<int>>(cls);
        int vectorEnd = bestV.Length * Vector<float>.Count;
        for (int c = 1; c < validClasses; c++)
        {
            var row = output.Slice((4 + c) * anchors, anchors);
            var rowV = MemoryMarshal.Cast<float, Vector<float>>(row);
            var cV = new Vector<int>(c);
            for (int i = 0; i < bestV.Length; i++)
            {
                var v = rowV[i];
                var greater = Vector.GreaterThan(v, bestV[i]);
                bestV[i] = Vector.ConditionalSelect(greater, v, bestV[i]);
                clsV[i] = Vector.ConditionalSelect(greater, cV, clsV[i]);
            }

            for (int i = vectorEnd; i < anchors; i++)
            {
                if (row[i] > best[i])
                {
                    best[i] = row[i];
                    cls[i] = c;
                }
            }
        }
    }

    private sealed class Workspace
    {
        public float[] Best = [];
        public int[] Class = [];
        public ulong[] Keys = [];
        public float[] X1 = [];
        public float[] Y1 = [];
        public float[] X2 = [];
        public float[] Y2 = [];
        public float[] Area = [];
        public int[] Suppressed = [];
        public int[] Keep = [];

        public void EnsureAnchors(int anchors)
        {
            if (Best.Length >= anchors)
            {
                return;
            }

            Best = new float[anchors];
            Class = new int[anchors];
            Keys = new ulong[anchors];
            X1 = new float[anchors];
            Y1 = new float[anchors];
            X2 = new float[anchors];
            Y2 = new float[anchors];
            Area = new float[anchors];
            Suppressed = new int[anchors];
            Keep = new int[anchors];
        }
    }
}
