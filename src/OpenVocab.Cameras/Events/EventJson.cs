using System.Buffers;
using System.Globalization;
using System.Text.Json;
using OpenVocab.Cameras.Analytics;
using OpenVocab.Detection;

namespace OpenVocab.Cameras.Events;

/// <summary>
/// The wire forms of events and counts: the one place their JSON is written. Versioned by a <c>schema</c> field
/// (<see cref="EventSchema"/>, <see cref="CountsSchema"/>); fields are only ever added within a version.
/// Stateless and thread-safe.
/// </summary>
public static class EventJson
{
    /// <summary>Schema name of an event document.</summary>
    public const string EventSchema = "openvocab.event/1";

    /// <summary>Schema name of a counts document.</summary>
    public const string CountsSchema = "openvocab.counts/1";

    /// <summary>Schema name of a broker-gap report.</summary>
    public const string GapSchema = "openvocab.gap/1";

    /// <summary>The event as UTF-8 JSON (one line, no trailing newline).</summary>
    public static byte[] Serialize(CameraEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("schema", EventSchema);
            w.WriteString("id", e.Id);
            w.WriteString("camera", e.Camera);
            w.WriteString("kind", e.Kind.WireName());
            w.WriteString("timestamp", e.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            w.WriteNumber("frame", e.FrameIndex);
            w.WriteNumber("frameTime", Math.Round(e.FrameTime.TotalSeconds, 3));
            // The detection in the library's one detection shape (label, classIndex, score, box, trackId).
            w.WritePropertyName("detection");
            DetectionJson.WriteDetection(w, e.Detection);
            if (e.Zone is not null)
            {
                w.WriteString("zone", e.Zone);
            }

            if (e.Line is not null)
            {
                w.WriteString("line", e.Line);
            }

            if (e.Dwell is { } dwell)
            {
                w.WriteNumber("dwell", Math.Round(dwell.TotalSeconds, 3));
            }

            if (e.Silo is not null)
            {
                w.WriteString("silo", e.Silo);
            }

            if (e.Snapshot is { } jpeg)
            {
                w.WriteStartObject("snapshot");
                w.WriteString("type", e.SnapshotType ?? "frame");
                w.WriteString("contentType", "image/jpeg");
                w.WriteBase64String("data", jpeg.Span);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A camera's counts as UTF-8 JSON; <paramref name="silo"/>, when given, names the cluster silo that ran the camera.</summary>
    public static byte[] SerializeCounts(string camera, DateTimeOffset timestamp, SceneCounts counts, string? silo = null)
    {
        ArgumentNullException.ThrowIfNull(camera);
        ArgumentNullException.ThrowIfNull(counts);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("schema", CountsSchema);
            w.WriteString("camera", camera);
            w.WriteString("timestamp", timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            if (silo is not null)
            {
                w.WriteString("silo", silo);
            }

            w.WriteStartObject("zones");
            foreach (var (name, zone) in counts.Zones)
            {
                w.WriteStartObject(name);
                w.WriteNumber("total", zone.Total);
                w.WriteStartObject("byLabel");
                foreach (var (label, n) in zone.ByLabel)
                {
                    w.WriteNumber(label, n);
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteStartObject("lines");
            foreach (var (name, line) in counts.Lines)
            {
                w.WriteStartObject(name);
                w.WriteNumber("in", line.In);
                w.WriteNumber("out", line.Out);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A report that the broker was unreachable from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static byte[] SerializeGap(DateTimeOffset from, DateTimeOffset to, long queued, long dropped)
    {
        var buffer = new ArrayBufferWriter<byte>(160);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("schema", GapSchema);
            w.WriteString("from", from.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            w.WriteString("to", to.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            w.WriteNumber("seconds", Math.Round((to - from).TotalSeconds, 3));
            w.WriteNumber("queued", queued);
            w.WriteNumber("dropped", dropped);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
