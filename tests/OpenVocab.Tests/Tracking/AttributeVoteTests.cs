using OpenVocab.Classification;
using OpenVocab.Detection;
using OpenVocab.Tracking;

namespace OpenVocab.Tests.Tracking;

/// <summary>Each track votes over its detections' attributes; tracked detections carry the vote.</summary>
public class AttributeVoteTests
{
    private static DetectedObject Car(float x, string colour, float p) =>
        new(new BoundingBox(x, 100, x + 60, 140), 0.9f, 0, "car")
        {
            Attribute = new AttributeResult(colour, p, [new ZeroShotPrediction(colour, 0, p, 0.3f), new ZeroShotPrediction(colour == "red car" ? "blue car" : "red car", 1, 1 - p, 0.2f)]),
        };

    [Fact]
    public void A_track_keeps_the_colour_most_of_its_frames_saw()
    {
        var tracker = new ByteTracker();
        // Red in four frames, then one frame where the crop looked blue (a reflection, a shadow).
        var frames = new[] { Car(10, "red car", 0.9f), Car(14, "red car", 0.8f), Car(18, "red car", 0.9f), Car(22, "red car", 0.7f), Car(26, "blue car", 0.6f) };
        DetectedObject[] last = [];
        foreach (var f in frames)
        {
            last = tracker.Update([f]);
        }

        var car = Assert.Single(last);
        Assert.NotNull(car.TrackId);
        Assert.Equal("red car", car.Attribute!.Label);
        // Mean probability over the 5 frames: (0.9 + 0.8 + 0.9 + 0.7 + 0.4) / 5.
        Assert.Equal(0.74f, car.Attribute.Score, 4);
        Assert.Equal(["red car", "blue car"], car.Attribute.TopK.Select(p => p.Label));
        var track = Assert.Single(tracker.Tracks);
        Assert.Equal(car.Attribute.Label, track.Attribute!.Label);
        Assert.Equal(car.Attribute.Score, track.Attribute.Score);
    }

    [Fact]
    public void Detections_without_attributes_leave_tracks_without_a_vote()
    {
        var tracker = new ByteTracker();
        var plain = new DetectedObject(new BoundingBox(10, 10, 50, 50), 0.9f, 0, "car");
        tracker.Update([plain]);
        var kept = tracker.Update([plain with { Box = new BoundingBox(12, 10, 52, 50) }]);
        Assert.Null(Assert.Single(kept).Attribute);
        Assert.Null(Assert.Single(tracker.Tracks).Attribute);
    }
}
