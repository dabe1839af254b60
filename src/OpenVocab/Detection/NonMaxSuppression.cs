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
        if (n >= GridMinBoxes && FloorToSingle(iouThreshold) >= 0f)
        {
            int count = SuppressSortedGrid(x1, y1, x2, y2, area, suppressed, iouThreshold, keep);
            if (count >= 0)
            {
                return count;
            }
        }

        return SuppressSortedAllPairs(x1, y1, x2, y2, area, suppressed, iouThreshold, keep);
    }

    /// <summary>From this many boxes on, <see cref="SuppressSorted"/> looks for overlaps through a grid (measured: below
    /// a few hundred boxes the all-pairs vector loop costs microseconds and building the grid costs more).</summary>
    internal const int GridMinBoxes = 512;

    // A box spanning more grid cells than this is checked against every later box instead of going into the grid.
    private const int MaxCellsPerBox = 16;

    /// <summary>Every kept box against every later box, eight pairs at a time.</summary>
    internal static int SuppressSortedAllPairs(
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
        ComputeAreas(x1, y1, x2, y2, area);
        suppressed.Clear();
        float threshold = FloorToSingle(iouThreshold);
        int count = 0;
        for (int i = 0; i < n && count < keep.Length; i++)
        {
            if (suppressed[i] != 0)
            {
                continue;
            }

            keep[count++] = i;
            SuppressLater(x1, y1, x2, y2, area, suppressed, threshold, i);
        }

        return count;
    }

    /// <summary>
    /// The same decisions as <see cref="SuppressSortedAllPairs"/>, computing IoU only for pairs that can overlap.
    /// A pair whose intersection is empty has IoU 0 (or NaN for two empty boxes), which never exceeds a threshold
    /// of 0 or more; so only pairs sharing a cell of a uniform grid (cells about the median box size, hashed into a
    /// table, so class offsets cost nothing) are tested, and the same single-precision expression decides them.
    /// Boxes spanning many cells are kept out of the grid: every kept box tests them, and a kept one tests all later
    /// boxes. Returns -1, deciding nothing, when a coordinate is not finite or no box has a positive size.
    /// </summary>
    internal static int SuppressSortedGrid(
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
        float threshold = FloorToSingle(iouThreshold);
        if (!(threshold >= 0f))
        {
            return -1;
        }

        float cell = MedianExtent(x1, y1, x2, y2);
        if (!(cell > 0f))
        {
            return -1;
        }

        float inverse = 1f / cell;
        // Per box: first cell column and row, and how many columns and rows it spans; 0 columns for a box that can
        // neither suppress nor be suppressed (empty or inverted), -1 for a box too large for the grid.
        int[] cells = ArrayPool<int>.Shared.Rent(4 * n);
        int[] large = ArrayPool<int>.Shared.Rent(n);
        int[]? starts = null;
        int[]? entries = null;
        try
        {
            int largeCount = 0;
            long total = 0;
            for (int i = 0; i < n; i++)
            {
                float bx1 = x1[i], by1 = y1[i], bx2 = x2[i], by2 = y2[i];
                if (!float.IsFinite(bx1) || !float.IsFinite(by1) || !float.IsFinite(bx2) || !float.IsFinite(by2))
                {
                    return -1;
                }

                if (!(bx2 > bx1 && by2 > by1))
                {
                    cells[4 * i + 2] = 0;
                    continue;
                }

                // Floor of a correctly rounded product is monotonic in the coordinate: boxes whose intervals share a
                // point share that point's cell.
                double cx0 = Math.Floor(bx1 * inverse), cy0 = Math.Floor(by1 * inverse);
                double spanX = Math.Floor(bx2 * inverse) - cx0 + 1, spanY = Math.Floor(by2 * inverse) - cy0 + 1;
                if (spanX * spanY > MaxCellsPerBox || Math.Abs(cx0) > int.MaxValue / 2 || Math.Abs(cy0) > int.MaxValue / 2)
                {
                    cells[4 * i + 2] = -1;
                    large[largeCount++] = i;
                    continue;
                }

                cells[4 * i] = (int)cx0;
                cells[4 * i + 1] = (int)cy0;
                cells[4 * i + 2] = (int)spanX;
                cells[4 * i + 3] = (int)spanY;
                total += (long)(spanX * spanY);
            }

            // Counting sort of (cell, box) pairs into hash buckets; boxes land in each bucket in visiting order.
            int buckets = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, 2 * total));
            starts = ArrayPool<int>.Shared.Rent(buckets + 1);
            entries = ArrayPool<int>.Shared.Rent((int)Math.Max(1, total));
            var start = starts.AsSpan(0, buckets + 1);
            start.Clear();
            int mask = buckets - 1;
            for (int i = 0; i < n; i++)
            {
                for (int cy = 0; cy < cells[4 * i + 3] && cells[4 * i + 2] > 0; cy++)
                {
                    for (int cx = 0; cx < cells[4 * i + 2]; cx++)
                    {
                        start[Bucket(cells[4 * i] + cx, cells[4 * i + 1] + cy, mask) + 1]++;
                    }
                }
            }

            for (int b = 0; b < buckets; b++)
            {
                start[b + 1] += start[b];
            }

            for (int i = 0; i < n; i++)
            {
                for (int cy = 0; cy < cells[4 * i + 3] && cells[4 * i + 2] > 0; cy++)
                {
                    for (int cx = 0; cx < cells[4 * i + 2]; cx++)
                    {
                        entries[start[Bucket(cells[4 * i] + cx, cells[4 * i + 1] + cy, mask)]++] = i;
                    }
                }
            }

            // The fill moved each start to its bucket's end; shift back so bucket b is entries[start[b]..start[b+1]).
            for (int b = buckets; b > 0; b--)
            {
                start[b] = start[b - 1];
            }

            start[0] = 0;
            ComputeAreas(x1, y1, x2, y2, area);
            suppressed.Clear();
            int count = 0;
            for (int i = 0; i < n && count < keep.Length; i++)
            {
                if (suppressed[i] != 0)
                {
                    continue;
                }

                keep[count++] = i;
                int spanX = cells[4 * i + 2];
                if (spanX == 0)
                {
                    continue;
                }

                if (spanX < 0)
                {
                    SuppressLater(x1, y1, x2, y2, area, suppressed, threshold, i);
                    continue;
                }

                float ix1 = x1[i], iy1 = y1[i], ix2 = x2[i], iy2 = y2[i], iarea = area[i];
                for (int cy = 0; cy < cells[4 * i + 3]; cy++)
                {
                    for (int cx = 0; cx < spanX; cx++)
                    {
                        int bucket = Bucket(cells[4 * i] + cx, cells[4 * i + 1] + cy, mask);
                        var members = entries.AsSpan(start[bucket], start[bucket + 1] - start[bucket]);
                        for (int m = members.Length - 1; m >= 0 && members[m] > i; m--)
                        {
                            int j = members[m];
                            if (suppressed[j] == 0 && Iou(ix1, iy1, ix2, iy2, iarea, x1[j], y1[j], x2[j], y2[j], area[j]) > threshold)
                            {
                                suppressed[j] = -1;
                            }
                        }
                    }
                }

                for (int l = largeCount - 1; l >= 0 && large[l] > i; l--)
                {
                    int j = large[l];
                    if (suppressed[j] == 0 && Iou(ix1, iy1, ix2, iy2, iarea, x1[j], y1[j], x2[j], y2[j], area[j]) > threshold)
                    {
                        suppressed[j] = -1;
                    }
                }
            }

            return count;
        }
        finally
        {
            if (entries is not null)
            {
                ArrayPool<int>.Shared.Return(entries);
            }

            if (starts is not null)
            {
                ArrayPool<int>.Shared.Return(starts);
            }

            ArrayPool<int>.Shared.Return(large);
            ArrayPool<int>.Shared.Return(cells);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Bucket(int cx, int cy, int mask) => (int)(((uint)cx * 0x9E3779B1u) ^ ((uint)cy * 0x85EBCA77u)) & mask;

    /// <summary>torchvision's IoU in single precision, the same expression in the same order as the vector loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Iou(float ix1, float iy1, float ix2, float iy2, float iarea, float jx1, float jy1, float jx2, float jy2, float jarea)
    {
        float w = MathF.Max(0f, MathF.Min(ix2, jx2) - MathF.Max(ix1, jx1));
        float h = MathF.Max(0f, MathF.Min(iy2, jy2) - MathF.Max(iy1, jy1));
        float inter = w * h;
        return inter / (iarea + jarea - inter);
    }

    private static void ComputeAreas(ReadOnlySpan<float> x1, ReadOnlySpan<float> y1, ReadOnlySpan<float> x2, ReadOnlySpan<float> y2, Span<float> area)
    {
        for (int i = 0; i < area.Length; i++)
        {
            area[i] = (x2[i] - x1[i]) * (y2[i] - y1[i]);
        }
    }

    /// <summary>The median of max(width, height) over up to 1,024 boxes spread through the list, positive sizes only;
    /// 0 when none has a positive size.</summary>
    private static float MedianExtent(ReadOnlySpan<float> x1, ReadOnlySpan<float> y1, ReadOnlySpan<float> x2, ReadOnlySpan<float> y2)
    {
        Span<float> sample = stackalloc float[1024];
        int n = x1.Length, step = Math.Max(1, n / sample.Length), count = 0;
        for (int i = 0; i < n && count < sample.Length; i += step)
        {
            float extent = MathF.Max(x2[i] - x1[i], y2[i] - y1[i]);
            if (extent > 0f && float.IsFinite(extent))
            {
                sample[count++] = extent;
            }
        }

        if (count == 0)
        {
            return 0f;
        }

        sample = sample[..count];
        sample.Sort();
        return sample[count / 2];
    }

    /// <summary>Kept box <paramref name="i"/> suppresses every later box it overlaps by more than the threshold.</summary>
    private static void SuppressLater(ReadOnlySpan<float> x1, ReadOnlySpan<float> y1, ReadOnlySpan<float> x2, ReadOnlySpan<float> y2,
        ReadOnlySpan<float> area, Span<int> suppressed, float threshold, int i)
    {
        int n = x1.Length;
        float ix1 = x1[i], iy1 = y1[i], ix2 = x2[i], iy2 = y2[i], iarea = area[i];
        int j = i + 1;
        int width = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated && n - j >= width)
        {
            ref float rx1 = ref MemoryMarshal.GetReference(x1);
            ref float ry1 = ref MemoryMarshal.GetReference(y1);
            ref float rx2 = ref MemoryMarshal.GetReference(x2);
            ref float ry2 = ref MemoryMarshal.GetReference(y2);
            ref float rarea = ref MemoryMarshal.GetReference(area);
            ref int rsup = ref MemoryMarshal.GetReference(suppressed);
            var vThreshold = new Vector<float>(threshold);
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
            if (Iou(ix1, iy1, ix2, iy2, iarea, x1[j], y1[j], x2[j], y2[j], area[j]) > threshold)
            {
                suppressed[j] = -1;
            }
        }
    }
}
