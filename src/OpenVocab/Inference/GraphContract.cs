using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace OpenVocab.Inference;

/// <summary>Checks an opened graph against what a pack promises, failing with the file, tensor, expected and actual.</summary>
internal static class GraphContract
{
    public static NodeMetadata Input(InferenceSession session, string file, string name, TensorElementType type, int rank, string expected) =>
        Require(session.InputMetadata, "input", file, name, type, rank, expected);

    public static NodeMetadata Output(InferenceSession session, string file, string name, TensorElementType type, int rank, string expected) =>
        Require(session.OutputMetadata, "output", file, name, type, rank, expected);

    /// <summary>Formats a graph tensor as "float32 [1,3,H,W]", symbolic dimensions by name (or '?').</summary>
    public static string Describe(NodeMetadata meta)
    {
        if (!meta.IsTensor)
        {
            return $"a non-tensor value ({meta.OnnxValueType})";
        }

        var dims = meta.Dimensions.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : i < meta.SymbolicDimensions.Length && !string.IsNullOrEmpty(meta.SymbolicDimensions[i]) ? meta.SymbolicDimensions[i] : "?");
        return $"{TypeName(meta.ElementDataType)} [{string.Join(",", dims)}]";
    }

    /// <summary>ONNX-style element type names ("float32", "int64").</summary>
    public static string TypeName(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Int64 => "int64",
        TensorElementType.Int32 => "int32",
        _ => type.ToString().ToLowerInvariant(),
    };

    private static NodeMetadata Require(IReadOnlyDictionary<string, NodeMetadata> nodes, string kind, string file, string name,
        TensorElementType type, int rank, string expected)
    {
        if (!nodes.TryGetValue(name, out var meta))
        {
            throw new ModelMismatchException(
                $"'{file}' has no {kind} '{name}' (expected {expected}); its {kind}s are: {string.Join(", ", nodes.Select(n => $"'{n.Key}' {Describe(n.Value)}"))}.");
        }

        if (!meta.IsTensor || meta.ElementDataType != type || meta.Dimensions.Length != rank)
        {
            throw new ModelMismatchException($"'{file}' {kind} '{name}' is {Describe(meta)}, expected {expected}.");
        }

        return meta;
    }
}
