namespace OpenVocab;

/// <summary>
/// A model's graph does not match what the code (or the model pack's manifest) expects: a tensor is missing or has
/// the wrong element type, rank or shape, or a run gives an output of another shape. The message names the tensor, the
/// expected and the actual value. The library fills <see cref="TensorName"/>, <see cref="Expected"/> and
/// <see cref="Actual"/> on every one it throws.
/// </summary>
public class ModelMismatchException : OpenVocabException
{
    /// <summary>Creates the error.</summary>
    public ModelMismatchException()
    {
    }

    /// <summary>Creates the error.</summary>
    /// <param name="message">What went wrong.</param>
    public ModelMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the error with its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="inner">The error that caused this one.</param>
    public ModelMismatchException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the error for one tensor; the message is built from the parts.</summary>
    /// <param name="tensorName">The tensor (graph input or output) that does not match.</param>
    /// <param name="expected">What was expected, e.g. <c>int64 [B, 77]</c>.</param>
    /// <param name="actual">What the graph has.</param>
    /// <param name="modelName">The model (file) the tensor belongs to, if known.</param>
    public ModelMismatchException(string tensorName, string expected, string actual, string? modelName)
        : base(Format(tensorName, expected, actual, modelName))
    {
        TensorName = tensorName;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>Creates the error for one tensor, with its cause; the message is built from the parts.</summary>
    /// <param name="tensorName">The tensor (graph input or output) that does not match.</param>
    /// <param name="expected">What was expected, e.g. <c>int64 [B, 77]</c>.</param>
    /// <param name="actual">What the graph has.</param>
    /// <param name="modelName">The model (file) the tensor belongs to, if known.</param>
    /// <param name="inner">The error that revealed the mismatch (e.g. ONNX Runtime's).</param>
    public ModelMismatchException(string tensorName, string expected, string actual, string? modelName, Exception inner)
        : base(Format(tensorName, expected, actual, modelName), inner)
    {
        TensorName = tensorName;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The tensor that does not match (or, for a closed-set export's class names, the metadata key), when known.</summary>
    public string? TensorName { get; }

    /// <summary>What was expected, when known.</summary>
    public string? Expected { get; }

    /// <summary>What the model has, when known.</summary>
    public string? Actual { get; }

    private static string Format(string tensorName, string expected, string actual, string? modelName) =>
        $"{(modelName is null ? string.Empty : modelName + ": ")}tensor '{tensorName}' expected {expected}, but the model has {actual}.";
}
