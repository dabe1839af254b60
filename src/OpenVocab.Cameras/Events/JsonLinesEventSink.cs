using Microsoft.Extensions.Logging;

namespace OpenVocab.Cameras.Events;

/// <summary>
/// Appends each event as one JSON line (<see cref="EventJson"/>) to a file, flushed after each line so that a
/// stopped run loses nothing it reported. Counts are not written.
/// </summary>
public sealed class JsonLinesEventSink : EventSink
{
    private readonly FileStream _file;

    private JsonLinesEventSink(string path, FileStream file, ILogger? logger)
        : base(path, 10_000, logger) => _file = file;

    /// <summary>Opens (appending to) <paramref name="path"/> now, so a bad path fails before any work, and starts the loop.</summary>
    /// <exception cref="IOException">The file cannot be opened; the message names it.</exception>
    public static JsonLinesEventSink Start(string path, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot open the events file '{path}' for appending: {e.Message}", e);
        }

        var sink = new JsonLinesEventSink(path, file, logger);
        sink.Start();
        return sink;
    }

    /// <inheritdoc/>
    protected override async Task SendAsync(SinkMessage message, CancellationToken cancellationToken)
    {
        if (message.IsCounts)
        {
            return;
        }

        await _file.WriteAsync(message.Payload, cancellationToken).ConfigureAwait(false);
        _file.WriteByte((byte)'\n');
        await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        CountDelivered(message);
    }

    /// <inheritdoc/>
    protected override async ValueTask DisposeCoreAsync()
    {
        await _file.DisposeAsync().ConfigureAwait(false);
        await base.DisposeCoreAsync().ConfigureAwait(false);
    }
}
