using System.Text.Json;
using OpenCvSharp;
using OpenVocab.Detection;

namespace OpenVocab.Video;

/// <summary>
/// Writes one JSON object per frame, one per line, flushed after each so a stopped run keeps every line it produced:
/// <c>{"frame":I,"timeMs":F,"detections":[{"label":S,"classIndex":I,"score":F,"box":[x1,y1,x2,y2],"trackId":I}]}</c>
/// (each detection as <see cref="DetectionJson"/> writes it; <c>trackId</c> only on tracked detections).
/// Not thread-safe.
/// </summary>
public sealed class JsonLinesWriter : IFrameSink, IDisposable
{
    private static readonly byte[] NewLine = [(byte)'\n'];
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly Utf8JsonWriter _json;

    /// <summary>Writes to a stream (not closed on dispose when <paramref name="leaveOpen"/>).</summary>
    public JsonLinesWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _json = new Utf8JsonWriter(stream);
    }

    /// <summary>Frames written so far.</summary>
    public long FramesWritten { get; private set; }

    /// <summary>Creates (or truncates) a file now, so that a bad path fails before any work starts.</summary>
    /// <exception cref="VideoSinkException">The file cannot be created.</exception>
    public static JsonLinesWriter Create(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        try
        {
            return new JsonLinesWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VideoSinkException($"Cannot write JSON Lines file '{path}': {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public void Write(FrameResult result, Mat frame)
    {
        ArgumentNullException.ThrowIfNull(result);
        var w = _json;
        w.Reset();
        w.WriteStartObject();
        w.WriteNumber("frame", result.FrameIndex);
        w.WriteNumber("timeMs", DetectionJson.RoundMilliseconds(result.Timestamp.TotalMilliseconds));
        DetectionJson.WriteDetectionsProperty(w, result.Detections);
        w.WriteEndObject();
        w.Flush();
        _stream.Write(NewLine);
        _stream.Flush();
        FramesWritten++;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _json.Dispose();
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }
}
