namespace OpenVocab;

/// <summary>
/// A model's graph does not match what the code (or the model pack's manifest) expects: a tensor is missing or has
/// the wrong element type, rank or shape. The message names the tensor, the expected and the actual value.
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
        : base($"{(modelName is null ? string.Empty : modelName + ": ")}tensor '{tensorName}' expected {expected}, but the model has {actual}.")
    {
        TensorName = tensorName;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The tensor that does not match, when known.</summary>
    public string? TensorName { get; }

    /// <summary>What was expected, when known.</summary>
    public string? Expected { get; }

    /// <summary>What the model has, when known.</summary>
    public string? Actual { get; }
}
