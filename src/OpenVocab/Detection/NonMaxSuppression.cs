using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OpenVocab.Detection;

/// <summary>
/// Greedy non-maximum suppression with the semantics of <c>torchvision.ops.nms</c> as ultralytics calls it:
/// boxes are visited by score, highest first (stable: equal scores keep their input order); each kept box suppresses
/// every later box whose IoU with it is greater than the threshold. Per-class NMS shifts each box by
/// <c>class · 7680</c> (ultralytics' <c>max_wh</c>) so that boxes of different classes never overlap, and computes IoU
/// on the shifted coordinates in single precision, as ultralytics does, so results match it bit for bit.
/// Stateless and thread-safe; scratch memory comes from <see cref="ArrayPool{T}.Shared"/>.
/// </summary>
public static class NonMaxSuppression
{
    /// <summary>The per-class coordinate offset (ultralytics <c>max_wh</c>).</summary>
    public const float ClassOffset = 7680f;

    /// <summary>
    /// Runs NMS and writes the indices of the kept boxes into <paramref name="keep"/>, highest score first.
    /// Stops when <paramref name="keep"/> is full, which gives the same boxes as truncating the full result.
    /// </summary>
    /// <param name="boxes">Boxes, corners in pixels.</param>
    /// <param name="scores">One score per box.</param>
    /// <param name="classIndices">One class per box for per-class NMS, or empty for class-agnostic NMS.</param>
    /// <param name="iouThreshold">Suppress when IoU is greater than this (compared in double precision, as
    /// torchvision compares its float IoU with the Python threshold).</param>
    /// <param name="keep">Receives indices into <paramref name="boxes"/>; its length caps the number kept.</param>
    /// <returns>The number of indices written.</returns>
    /// <exception cref="ArgumentException">The spans' lengths disagree.</exception>
    public static int Apply(
        ReadOnlySpan<BoundingBox> boxes,
        ReadOnlySpan<float> scores,
        ReadOnlySpan<int> classIndices,
        double iouThreshold,
        Span<int> keep)
    {
        int n = boxes.Length;
        if (scores.Length != n)
        {
            throw new ArgumentException($"{scores.Length} scores for {n} boxes.", nameof(scores));
        }

        if (!classIndices.IsEmpty && classIndices.Length != n)
        {
            throw new ArgumentException($"{classIndices.Length} class indices for {n} boxes.", nameof(classIndices));
        }

        if (n == 0 || keep.IsEmpty)
        {
            return 0;
        }

        ulong[] keys = ArrayPool<ulong>.Shared.Rent(n);
        float[] coords = ArrayPool<float>.Shared.Rent(5 * n);
        int[] suppressed = ArrayPool<int>.Shared.Rent(n);
        int[] kept = ArrayPool<int>.Shared.Rent(Math.Min(n, keep.Length));
        try
        {
            for (int i = 0; i < n; i++)
            {
                keys[i] = SortKey(scores[i], i);
            }

            keys.AsSpan(0, n).Sort();
            var x1 = coords.AsSpan(0, n);
            var y1 = coords.AsSpan(n, n);
            var x2 = coords.AsSpan(2 * n, n);
            var y2 = coords.AsSpan(3 * n, n);
            var area = coords.AsSpan(4 * n, n);
            for (int k = 0; k < n; k++)
            {
                int i = IndexOf(keys[k]);
                float offset = classIndices.IsEmpty ? 0f : classIndices[i] * ClassOffset;
                ref readonly var b = ref boxes[i];
                x1[k] = b.X1 + offset;
                y1[k] = b.Y1 + offset;
                x2[k] = b.X2 + offset;
                y2[k] = b.Y2 + offset;
            }

            var keptSpan = kept.AsSpan(0, Math.Min(n, keep.Length));
            int count = SuppressSorted(x1, y1, x2, y2, area, suppressed.AsSpan(0, n), iouThreshold, keptSpan);
            for (int k = 0; k < count; k++)
            {
                keep[k] = IndexOf(keys[kept[k]]);
            }

            return count;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(kept);
            ArrayPool<int>.Shared.Return(suppressed);
            ArrayPool<float>.Shared.Return(coords);
            ArrayPool<ulong>.Shared.Return(keys);
        }
    }

    /// <summary>
    /// A key whose ascending order is descending score, ties by ascending index: the order of a stable
    /// descending sort. Floats map to unsigned integers that sort like the floats (negative values flipped).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong SortKey(float score, int index)
    {
        uint bits = BitConverter.SingleToUInt32Bits(score);
        uint ascending = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)~ascending << 32) | (uint)index;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int IndexOf(ulong key) => (int)(uint)key;

    /// <summary>The largest float not above <paramref name="threshold"/>: for any float f,
    /// <c>(double)f &gt; threshold</c> exactly when <c>f &gt; FloorToSingle(threshold)</c>.</summary>
    internal static float FloorToSingle(double threshold)
    {
        float f = (float)threshold;
        return f > threshold ? MathF.BitDecrement(f) : f;
    }

    /// <summary>
    /// The suppression loop over boxes already in visiting order (corners already offset per class).
    /// Fills <paramref name="area"/> and <paramref name="suppressed"/>; writes kept positions into
    /// <paramref name="keep"/> and stops when it is full.
    /// </summary>
    /// <remarks>
    /// Unlike torchvision's loop this also computes IoU against boxes that are already suppressed: suppressing
    /// them again changes nothing, and it lets the inner loop run over whole vectors of boxes. The arithmetic per
    /// pair is the same single-precision expression in the same order, so the decisions are identical.
    /// </remarks>
    internal static int SuppressSorted(
        ReadOnlySpan<float> x1,
        ReadOnlySpan<float> y1,
        ReadOnlySpan<float> x2,
        ReadOnlySpan<float> y2,
        Span<float> area,
        Span<int> suppressed,
        double iouThreshold,
        Span<int> keep)
    {
        int n = x1.Length;
        y1 = y1[..n];
        x2 = x2[..n];
        y2 = y2[..n];
        area = area[..n];
        suppressed = suppressed[..n];
        for (int i = 0; i < n; i++)
        {
            area[i] = (x2[i] - x1[i]) * (y2[i] - y1[i]);
        }

        suppressed.Clear();
        float threshold = FloorToSingle(iouThreshold);
        var vThreshold = new Vector<float>(threshold);
        int width = Vector<float>.Count;
        ref float rx1 = ref MemoryMarshal.GetReference(x1);
        ref float ry1 = ref MemoryMarshal.GetReference(y1);
        ref float rx2 = ref MemoryMarshal.GetReference(x2);
        ref float ry2 = ref MemoryMarshal.GetReference(y2);
        ref float rarea = ref MemoryMarshal.GetReference((ReadOnlySpan<float>)area);
        ref int rsup = ref MemoryMarshal.GetReference(suppressed);
        int count = 0;
        for (int i = 0; i < n && count < keep.Length; i++)
        {
            if (suppressed[i] != 0)
            {
                continue;
            }

            keep[count++] = i;
            float ix1 = x1[i], iy1 = y1[i], ix2 = x2[i], iy2 = y2[i], iarea = area[i];
            int j = i + 1;
            if (Vector.IsHardwareAccelerated && n - j >= width)
            {
                var vx1 = new Vector<float>(ix1);
                var vy1 = new Vector<float>(iy1);
                var vx2 = new Vector<float>(ix2);
                var vy2 = new Vector<float>(iy2);
                var varea = new Vector<float>(iarea);
                for (; j <= n - width; j += width)
                {
                    nuint o = (nuint)j;
                    var w = Vector.Max(Vector<float>.Zero,
                        Vector.Min(vx2, Vector.LoadUnsafe(ref rx2, o)) - Vector.Max(vx1, Vector.LoadUnsafe(ref rx1, o)));
                    var h = Vector.Max(Vector<float>.Zero,
                        Vector.Min(vy2, Vector.LoadUnsafe(ref ry2, o)) - Vector.Max(vy1, Vector.LoadUnsafe(ref ry1, o)));
                    var inter = w * h;
                    var iou = inter / (varea + Vector.LoadUnsafe(ref rarea, o) - inter);
                    var mask = Vector.GreaterThan(iou, vThreshold);
                    (Vector.LoadUnsafe(ref rsup, o) | mask).StoreUnsafe(ref rsup, o);
                }
            }

            for (; j < n; j++)
            {
                float w = MathF.Max(0f, MathF.Min(ix2, x2[j]) - MathF.Max(ix1, x1[j]));
                float h = MathF.Max(0f, MathF.Min(iy2, y2[j]) - MathF.Max(iy1, y1[j]));
                float inter = w * h;
                float iou = inter / (iarea + area[j] - inter);
                if (iou > threshold)
                {
                    suppressed[j] = -1;
                }
            }
        }

        return count;
    }
}
