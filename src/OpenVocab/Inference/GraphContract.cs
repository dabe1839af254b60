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

    /// <summary>Formats a graph shape with symbolic dimensions as their names (or '?').</summary>
    public static string Describe(NodeMetadata meta)
    {
        var dims = meta.Dimensions.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : string.IsNullOrEmpty(meta.SymbolicDimensions[i]) ? "?" : meta.SymbolicDimensions[i]);
        return $"{meta.ElementDataType.ToString().ToLowerInvariant()} [{string.Join(",", dims)}]";
    }

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
