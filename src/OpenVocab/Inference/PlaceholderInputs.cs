using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace OpenVocab.Inference;

/// <summary>
/// Constant inputs for a graph that holds two towers (Optimum's CLIP <c>model.onnx</c>): the text encoder must still
/// feed <c>pixel_values</c> and the image encoder <c>input_ids</c>, although neither reads the other's output.
/// Each is a one-row tensor of ones; ONNX Runtime runs only the nodes the requested outputs depend on, so the other
/// tower is not computed. The arrays are created once and never written, so concurrent runs may share them.
/// </summary>
internal sealed class PlaceholderInputs
{
    private readonly string[] _names;
    private readonly long[][] _shapes;
    private readonly Array[] _data;

    private PlaceholderInputs(string[] names, long[][] shapes, Array[] data)
    {
        _names = names;
        _shapes = shapes;
        _data = data;
    }

    /// <summary>No placeholders.</summary>
    public static PlaceholderInputs None { get; } = new([], [], []);

    /// <summary>The input names, in the order <see cref="CreateValues"/> gives their values.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Checks each named input exists in the graph and allocates its ones.</summary>
    /// <exception cref="ModelMismatchException">An input is missing, or its type or rank is not what the shape says.</exception>
    public static PlaceholderInputs Create(InferenceSession session, IReadOnlyDictionary<string, IReadOnlyList<long>>? spec, string file)
    {
        if (spec is null || spec.Count == 0)
        {
            return None;
        }

        var names = new List<string>();
        var shapes = new List<long[]>();
        var data = new List<Array>();
        foreach (var (name, shape) in spec)
        {
            string expected = $"an input of rank {shape.Count} fed a placeholder [{string.Join(",", shape)}]";
            if (!session.InputMetadata.TryGetValue(name, out NodeMetadata? meta))
            {
                throw GraphContract.Mismatch(file, name, expected, $"no such input (inputs: {string.Join(", ", session.InputMetadata.Keys)})");
            }

            if (!meta.IsTensor || meta.Dimensions.Length != shape.Count || shape.Any(d => d < 1))
            {
                throw GraphContract.Mismatch(file, name, expected, GraphContract.Describe(meta));
            }

            long count = shape.Aggregate(1L, (a, b) => a * b);
            Array ones = meta.ElementDataType switch
            {
                TensorElementType.Float => Enumerable.Repeat(1f, (int)count).ToArray(),
                TensorElementType.Int64 => Enumerable.Repeat(1L, (int)count).ToArray(),
                TensorElementType.Int32 => Enumerable.Repeat(1, (int)count).ToArray(),
                _ => throw GraphContract.Mismatch(file, name, "a float32, int64 or int32 " + expected, GraphContract.Describe(meta)),
            };
            names.Add(name);
            shapes.Add([.. shape]);
            data.Add(ones);
        }

        return new PlaceholderInputs([.. names], [.. shapes], [.. data]);
    }

    /// <summary>One value per placeholder over the shared arrays; the caller disposes them after the run.</summary>
    public OrtValue[] CreateValues()
    {
        var values = new OrtValue[_names.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = _data[i] switch
            {
                float[] f => OrtValue.CreateTensorValueFromMemory(f, _shapes[i]),
                long[] l => OrtValue.CreateTensorValueFromMemory(l, _shapes[i]),
                int[] n => OrtValue.CreateTensorValueFromMemory(n, _shapes[i]),
                _ => throw new InvalidOperationException("unreachable: placeholder arrays are float, long or int"),
            };
        }

        return values;
    }
}
