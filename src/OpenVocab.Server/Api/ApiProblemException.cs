namespace OpenVocab.Server.Api;

/// <summary>
/// A client error found while reading a request: answered as an RFC 9457 problem document with
/// <paramref name="status"/>, the offending <paramref name="field"/> and what was expected in the detail.
/// </summary>
internal sealed class ApiProblemException(int status, string field, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    /// <summary>The request field (form field, query parameter, JSON property, header or route value) that was wrong.</summary>
    public string Field { get; } = field;

    /// <summary>A library's argument error as a client error: its sentence, without the " (Parameter '...')" that
    /// <see cref="ArgumentException.Message"/> appends (the field says where instead).</summary>
    public static ApiProblemException FromArgument(int status, string field, ArgumentException error) =>
        new(status, field, error.Message.Split(" (Parameter", 2)[0]);
}
