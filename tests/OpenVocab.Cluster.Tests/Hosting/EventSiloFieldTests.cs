using System.Text.Json;
using OpenVocab.Cameras.Analytics;
using OpenVocab.Cameras.Events;
using OpenVocab.Detection;

namespace OpenVocab.Cluster.Tests.Hosting;

/// <summary>The optional <c>silo</c> field that cluster silos add to events and counts, within the same schema versions.</summary>
public sealed class EventSiloFieldTests
{
    [Fact]
    public void Events_and_counts_name_the_silo_only_when_one_is_given()
    {
        var detection = new DetectedObject(new BoundingBox(1, 2, 3, 4), 0.9f, 0, "car") { TrackId = 7 };
        var e = new CameraEvent("id1", "gate", EventKind.Appeared, DateTimeOffset.UnixEpoch, 5, TimeSpan.FromSeconds(1), detection);
        using (var plain = JsonDocument.Parse(EventJson.Serialize(e)))
        {
            Assert.Equal(EventJson.EventSchema, plain.RootElement.GetProperty("schema").GetString());
            Assert.False(plain.RootElement.TryGetProperty("silo", out _));
        }

        using (var stamped = JsonDocument.Parse(EventJson.Serialize(e with { Silo = "node-7" })))
        {
            Assert.Equal(EventJson.EventSchema, stamped.RootElement.GetProperty("schema").GetString());
            Assert.Equal("node-7", stamped.RootElement.GetProperty("silo").GetString());
        }

        var counts = new SceneCounts(new Dictionary<string, ZoneOccupancy>(), new Dictionary<string, LineCount>());
        using var c = JsonDocument.Parse(EventJson.SerializeCounts("gate", DateTimeOffset.UnixEpoch, counts, "node-7"));
        Assert.Equal("node-7", c.RootElement.GetProperty("silo").GetString());
        using var none = JsonDocument.Parse(EventJson.SerializeCounts("gate", DateTimeOffset.UnixEpoch, counts));
        Assert.False(none.RootElement.TryGetProperty("silo", out _));
    }
}
