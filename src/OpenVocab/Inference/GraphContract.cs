using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace OpenVocab.Inference;

/// <summary>
/// Checks an opened graph (and the outputs of its runs) against what a pack promises. Every mismatch the library
/// reports is made here, so each <see cref="ModelMismatchException"/> names the model, the tensor, the expected and the
/// actual value, with <see cref="ModelMismatchException.TensorName"/>, <see cref="ModelMismatchException.Expected"/> and
/// <see cref="ModelMismatchException.Actual"/> filled.
/// </summary>
internal static class GraphContract
{
    /// <summary>The input <paramref name="name"/>, which must be a tensor of <paramref name="type"/> and <paramref name="rank"/>.</summary>
    /// <param name="session">The opened graph.</param>
    /// <param name="model">The model's file (or a name when there is none), for the message.</param>
    /// <param name="name">The input.</param>
    /// <param name="type">Its element type.</param>
    /// <param name="rank">Its rank.</param>
    /// <param name="expected">What is expected, in words, e.g. <c>float32 [1,3,H,W]</c>.</param>
    public static NodeMetadata Input(InferenceSession session, string model, string name, TensorElementType type, int rank, string expected) =>
        Require(session.InputMetadata, "input", model, name, [type], rank, expected);

    /// <summary>As <see cref="Input(InferenceSession, string, string, TensorElementType, int, string)"/>, accepting any of <paramref name="types"/>.</summary>
    public static NodeMetadata Input(InferenceSession session, string model, string name, TensorElementType[] types, int rank, string expected) =>
        Require(session.InputMetadata, "input", model, name, types, rank, expected);

    /// <summary>The output <paramref name="name"/>, which must be a tensor of <paramref name="type"/> and <paramref name="rank"/>.</summary>
    public static NodeMetadata Output(InferenceSession session, string model, string name, TensorElementType type, int rank, string expected) =>
        Require(session.OutputMetadata, "output", model, name, [type], rank, expected);

    /// <summary>Throws the mismatch unless <paramref name="holds"/>; <paramref name="actual"/> is the graph's tensor as it is.</summary>
    public static void Check(bool holds, string? model, string tensor, string expected, NodeMetadata actual)
    {
        if (!holds)
        {
            throw Mismatch(model, tensor, expected, Describe(actual));
        }
    }

    /// <summary>The error for one tensor (or metadata entry) that is not what was expected, every field filled.</summary>
    /// <param name="model">The model's file or name, when known.</param>
    /// <param name="tensor">The tensor (or metadata key).</param>
    /// <param name="expected">What was expected.</param>
    /// <param name="actual">What the model has.</param>
    /// <param name="inner">The error that revealed it, if any.</param>
    public static ModelMismatchException Mismatch(string? model, string tensor, string expected, string actual, Exception? inner = null) =>
        inner is null ? new(tensor, expected, actual, model) : new(tensor, expected, actual, model, inner);

    /// <summary>Formats a graph tensor as "float32 [1,3,H,W]", symbolic dimensions by name (or '?').</summary>
    public static string Describe(NodeMetadata meta)
    {
        if (!meta.IsTensor)
        {
            return $"a non-tensor value ({meta.OnnxValueType})";
        }

        var dims = meta.Dimensions.Select((d, i) => d >= 0 ? d.ToString(CultureInfo.InvariantCulture)
            : i < meta.SymbolicDimensions.Length && !string.IsNullOrEmpty(meta.SymbolicDimensions[i]) ? meta.SymbolicDimensions[i] : "?");
        return $"{TypeName(meta.ElementDataType)} [{string.Join(",", dims)}]";
    }

    /// <summary>Formats the shape of a run's output, e.g. "[2, 512]".</summary>
    public static string Describe(long[] shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>ONNX-style element type names ("float32", "int64").</summary>
    public static string TypeName(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Int64 => "int64",
        TensorElementType.Int32 => "int32",
        _ => type.ToString().ToLowerInvariant(),
    };

    private static NodeMetadata Require(IReadOnlyDictionary<string, NodeMetadata> nodes, string kind, string model, string name,
        TensorElementType[] types, int rank, string expected)
    {
        if (!nodes.TryGetValue(name, out var meta))
        {
            throw Mismatch(model, name, $"{kind} {expected}",
                $"no such {kind}; its {kind}s are: {string.Join(", ", nodes.Select(n => $"'{n.Key}' {Describe(n.Value)}"))}");
        }

        Check(meta.IsTensor && types.Contains(meta.ElementDataType) && meta.Dimensions.Length == rank, model, name, expected, meta);
        return meta;
    }
}
