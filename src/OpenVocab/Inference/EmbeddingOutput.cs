using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using OpenVocab.Classification;

namespace OpenVocab.Inference;

/// <summary>
/// Reads the float32 <c>[B, D]</c> embedding output of a CLIP encoder (text or image): checks each run's shape, learns
/// D from the first run when the graph leaves it dynamic and holds every later run to it, and returns each row
/// L2-normalised in an array of its own. The one reader both encoders use. Thread-safe.
/// </summary>
internal sealed class EmbeddingOutput
{
    private readonly string? _model;
    private readonly string _items;
    private int _dimension;

    /// <summary>Creates the reader for one encoder's output.</summary>
    /// <param name="model">The model's file or name, for errors.</param>
    /// <param name="tensorName">The output's name.</param>
    /// <param name="graphDimension">D as the graph declares it; 0 or less when dynamic.</param>
    /// <param name="items">What a row embeds, plural ("prompts", "images"), for errors.</param>
    public EmbeddingOutput(string? model, string tensorName, int graphDimension, string items)
    {
        _model = model;
        TensorName = tensorName;
        _items = items;
        _dimension = Math.Max(graphDimension, 0);
    }

    /// <summary>The output's name.</summary>
    public string TensorName { get; }

    /// <summary>D, or 0 while neither the graph nor a run has told it.</summary>
    public int Dimension => Volatile.Read(ref _dimension);

    /// <summary>The first <paramref name="count"/> rows of a run over <paramref name="rows"/> inputs, each L2-normalised into a new array.</summary>
    /// <exception cref="ModelMismatchException">The output is not <c>[rows, D]</c> (with the D seen before, once known).</exception>
    public float[][] Read(OrtValue output, int rows, int count)
    {
        long[] shape = output.GetTensorTypeAndShape().Shape;
        int known = Dimension;
        if (shape.Length != 2 || shape[0] != rows || shape[1] <= 0 || (known > 0 && shape[1] != known))
        {
            string d = known > 0 ? known.ToString(CultureInfo.InvariantCulture) : "D";
            throw GraphContract.Mismatch(_model, TensorName, $"float32 [{rows}, {d}] from a run of {rows} {_items}", GraphContract.Describe(shape));
        }

        int dimension = (int)shape[1];
        Interlocked.CompareExchange(ref _dimension, dimension, 0);
        ReadOnlySpan<float> data = output.GetTensorDataAsSpan<float>();
        var result = new float[count][];
        for (int r = 0; r < count; r++)
        {
            float[] embedding = data.Slice(r * dimension, dimension).ToArray();
            EmbeddingMath.Normalize(embedding);
            result[r] = embedding;
        }

        return result;
    }
}
