using System.Diagnostics;
using System.Text.Json;
using OpenVocab.Cameras.Events;
using OpenVocab.Detection;

namespace OpenVocab.Cameras.Tests.Events;

/// <summary>Events numbered by their track id, so that order and completeness can be checked on the receiving side.</summary>
internal static class TestEvents
{
    public static CameraEvent Make(string camera, int n) => new(CameraEvent.NewId(), camera, EventKind.Enter, DateTimeOffset.UtcNow, n,
        TimeSpan.FromMilliseconds(40 * n), new DetectedObject(new BoundingBox(1, 2, 30, 40), 0.9f, 0, "red circle") { TrackId = n }) { Zone = "door" };

    public static SinkMessage Message(CameraEvent e) => new(e.Camera, false, e.Id, EventJson.Serialize(e), Stopwatch.GetTimestamp());

    /// <summary>(id, track id) of an event document.</summary>
    public static (string Id, int N) Read(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return (doc.RootElement.GetProperty("id").GetString()!, doc.RootElement.GetProperty("detection").GetProperty("trackId").GetInt32());
    }
}
