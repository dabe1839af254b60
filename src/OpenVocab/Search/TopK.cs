using System.Numerics.Tensors;

namespace OpenVocab.Search;

/// <summary>Exact top-k by dot product over the rows of a matrix, with a bounded min-heap (no full sort).</summary>
internal static class TopK
{
    /// <summary>
    /// The <paramref name="k"/> rows of <paramref name="matrix"/> (row-major, <paramref name="d"/> columns) with the
    /// highest dot product with <paramref name="query"/>, best first; equal scores rank by row order.
    /// </summary>
    /// <returns>Row indices (at most the number of rows), with their scores in <paramref name="scores"/>.</returns>
    public static int[] Select(ReadOnlySpan<float> matrix, int d, ReadOnlySpan<float> query, int k, out float[] scores)
    {
        int n = matrix.Length / d;
        k = Math.Min(k, n);
        // Min-heap of the k best so far: root is the weakest kept; a later row with an equal score ranks after earlier ones.
        var heapIndex = new int[k];
        var heapScore = new float[k];
        int size = 0;
        for (int row = 0; row < n; row++)
        {
            float score = TensorPrimitives.Dot(matrix.Slice(row * d, d), query);
            if (size < k)
            {
                heapIndex[size] = row;
                heapScore[size] = score;
                SiftUp(heapIndex, heapScore, size++);
            }
            else if (score > heapScore[0])
            {
                heapIndex[0] = row;
                heapScore[0] = score;
                SiftDown(heapIndex, heapScore, size);
            }
        }

        var order = new int[size];
        for (int i = 0; i < size; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => Weaker(heapScore[b], heapIndex[b], heapScore[a], heapIndex[a]) ? -1 : a == b ? 0 : 1);
        scores = [.. order.Select(i => heapScore[i])];
        return [.. order.Select(i => heapIndex[i])];
    }

    /// <summary>True when (s1, i1) ranks below (s2, i2): lower score, or equal score and later row.</summary>
    private static bool Weaker(float s1, int i1, float s2, int i2) => s1 < s2 || (s1 == s2 && i1 > i2);

    private static void SiftUp(int[] idx, float[] sc, int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Weaker(sc[i], idx[i], sc[parent], idx[parent]))
            {
                break;
            }

            (idx[i], idx[parent]) = (idx[parent], idx[i]);
            (sc[i], sc[parent]) = (sc[parent], sc[i]);
            i = parent;
        }
    }

    private static void SiftDown(int[] idx, float[] sc, int size)
    {
        int i = 0;
        while (true)
        {
            int l = (2 * i) + 1, r = l + 1, m = i;
            if (l < size && Weaker(sc[l], idx[l], sc[m], idx[m]))
            {
                m = l;
            }

            if (r < size && Weaker(sc[r], idx[r], sc[m], idx[m]))
            {
                m = r;
            }

            if (m == i)
            {
                return;
            }

            (idx[i], idx[m]) = (idx[m], idx[i]);
            (sc[i], sc[m]) = (sc[m], sc[i]);
            i = m;
        }
    }
}
