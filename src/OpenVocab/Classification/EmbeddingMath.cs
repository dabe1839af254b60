using System.Numerics.Tensors;

namespace OpenVocab.Classification;

/// <summary>Similarity helpers for embeddings (SIMD through System.Numerics.Tensors). Thread-safe.</summary>
public static class EmbeddingMath
{
    /// <summary>Cosine similarity of two vectors of equal length (works on unnormalised vectors too).</summary>
    /// <exception cref="ArgumentException">The lengths differ or are zero.</exception>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        CheckLengths(a, b);
        return TensorPrimitives.CosineSimilarity(a, b);
    }

    /// <summary>Dot product; equals the cosine for L2-normalised vectors, and is cheaper.</summary>
    /// <exception cref="ArgumentException">The lengths differ or are zero.</exception>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        CheckLengths(a, b);
        return TensorPrimitives.Dot(a, b);
    }

    /// <summary>Scales <paramref name="vector"/> in place to unit L2 length; a zero vector is left as it is.</summary>
    public static void Normalize(Span<float> vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        if (norm > 0f && float.IsFinite(norm))
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    /// <summary>
    /// The L2-normalised mean of <paramref name="vectors"/>, each normalised first: how CLIP ensembles prompt
    /// embeddings.
    /// </summary>
    /// <returns>A new vector, the caller's.</returns>
    /// <exception cref="ArgumentException">No vectors, or their lengths differ.</exception>
    public static float[] NormalizedMean(IReadOnlyList<ReadOnlyMemory<float>> vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (vectors.Count == 0)
        {
            throw new ArgumentException("At least one vector is needed.", nameof(vectors));
        }

        int d = vectors[0].Length;
        var sum = new float[d];
        var unit = new float[d];
        foreach (ReadOnlyMemory<float> v in vectors)
        {
            if (v.Length != d)
            {
                throw new ArgumentException($"Vectors of different lengths ({d} and {v.Length}) cannot be averaged.", nameof(vectors));
            }

            v.Span.CopyTo(unit);
            Normalize(unit);
            TensorPrimitives.Add(sum, unit, sum);
        }

        TensorPrimitives.Divide(sum, vectors.Count, sum);
        Normalize(sum);
        return sum;
    }

    /// <summary>
    /// Softmax of <paramref name="scale"/> x <paramref name="similarities"/> into <paramref name="probabilities"/>:
    /// CLIP's zero-shot probabilities from cosine similarities and the model's logit scale.
    /// </summary>
    public static void ScaledSoftmax(ReadOnlySpan<float> similarities, float scale, Span<float> probabilities)
    {
        if (probabilities.Length < similarities.Length)
        {
            throw new ArgumentException("The destination is shorter than the input.", nameof(probabilities));
        }

        Span<float> dst = probabilities[..similarities.Length];
        TensorPrimitives.Multiply(similarities, scale, dst);
        // exp(100) overflows float: shift by the maximum first (softmax is unchanged by a constant shift).
        TensorPrimitives.Subtract(dst, TensorPrimitives.Max(dst), dst);
        TensorPrimitives.SoftMax(dst, dst);
    }

    private static void CheckLengths(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length || a.Length == 0)
        {
            throw new ArgumentException($"Embeddings must have the same, non-zero length; got {a.Length} and {b.Length} (from different models?).");
        }
    }
}
