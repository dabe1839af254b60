using System.Text.Json;

namespace OpenVocab.Cli;

/// <summary>
/// The one document every <c>--json</c> command prints to stdout, <c>{"results":[...]}</c>, streamed: one object per
/// input is written as it is ready, and disposing closes the document and ends the line.
/// </summary>
internal sealed class JsonResults : IDisposable
{
    public JsonResults()
    {
        Writer = new Utf8JsonWriter(Console.OpenStandardOutput());
        Writer.WriteStartObject();
        Writer.WriteStartArray("results");
    }

    /// <summary>Writes the items of the results array.</summary>
    public Utf8JsonWriter Writer { get; }

    public void Dispose()
    {
        Writer.WriteEndArray();
        Writer.WriteEndObject();
        Writer.Flush();
        Writer.Dispose();
        Console.WriteLine();
    }
}
