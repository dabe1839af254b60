using System.Text.Json;
using OpenVocab.Cameras.Events;
using OpenVocab.Detection;

namespace OpenVocab.Cameras.Tests.Events;

public class JsonLinesEventSinkTests
{
    [Fact]
    public async Task Each_event_is_one_line_in_the_versioned_schema()
    {
        var path = Path.Combine(Path.GetTempPath(), $"openvocab-events-{Guid.NewGuid():N}.jsonl");
        try
        {
            var sink = JsonLinesEventSink.Start(path);
            var exit = new CameraEvent(CameraEvent.NewId(), "door", EventKind.Exit, new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero), 75,
                TimeSpan.FromSeconds(3), new DetectedObject(new BoundingBox(10, 20, 110.256f, 120), 0.87654f, 1, "red circle") { TrackId = 4 })
            {
                Zone = "left", Dwell = TimeSpan.FromSeconds(1.5), Snapshot = new byte[] { 0xFF, 0xD8, 0xFF, 0xD9 }, SnapshotType = "crop",
            };
            sink.Post(TestEvents.Message(exit));
            sink.Post(TestEvents.Message(TestEvents.Make("yard", 9)));
            await sink.DisposeAsync();

            var lines = await File.ReadAllLinesAsync(path);
            Assert.Equal(2, lines.Length);
            using var doc = JsonDocument.Parse(lines[0]);
            var e = doc.RootElement;
            Assert.Equal("openvocab.event/1", e.GetProperty("schema").GetString());
            Assert.Equal(exit.Id, e.GetProperty("id").GetString());
            var d = e.GetProperty("detection");
            Assert.Equal(("door", "exit", "red circle", 4, 1), (e.GetProperty("camera").GetString(), e.GetProperty("kind").GetString(), d.GetProperty("label").GetString(),
                d.GetProperty("trackId").GetInt32(), d.GetProperty("classIndex").GetInt32()));
            Assert.Equal("2026-12-02T10:00:00.000Z", e.GetProperty("timestamp").GetString());
            Assert.Equal([10, 20, 110.26, 120], d.GetProperty("box").EnumerateArray().Select(x => x.GetDouble()));
            Assert.Equal(0.8765, d.GetProperty("score").GetDouble());
            Assert.Equal(("left", 1.5, 75L, 3.0), (e.GetProperty("zone").GetString(), e.GetProperty("dwell").GetDouble(), e.GetProperty("frame").GetInt64(), e.GetProperty("frameTime").GetDouble()));
            Assert.False(e.TryGetProperty("line", out _));
            Assert.Equal(new byte[] { 0xFF, 0xD8, 0xFF, 0xD9 }, e.GetProperty("snapshot").GetProperty("data").GetBytesFromBase64());
            Assert.Equal("crop", e.GetProperty("snapshot").GetProperty("type").GetString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_unwritable_path_fails_at_once_naming_it()
    {
        var e = Assert.Throws<IOException>(() => JsonLinesEventSink.Start("/nonexistent-folder/events.jsonl"));
        Assert.Contains("/nonexistent-folder/events.jsonl", e.Message, StringComparison.Ordinal);
    }
}
