using System.Text;
using System.Text.Json;
using OpenVocab.Detection;

namespace OpenVocab.Tests.Detection;

public class DetectionJsonTests
{
    private static string Write(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public void Detection_is_written_rounded_with_track_id_only_when_present()
    {
        var d = new DetectedObject(new BoundingBox(1.23456f, 2.5f, 100.004999f, 200.996f), 0.876543f, 3, "red \"star\"");
        Assert.Equal("""{"label":"red \u0022star\u0022","classIndex":3,"score":0.8765,"box":[1.23,2.5,100,201]}""", Write(w => DetectionJson.WriteDetection(w, d)));
        Assert.Equal("""{"label":"red \u0022star\u0022","classIndex":3,"score":0.8765,"box":[1.23,2.5,100,201],"trackId":7}""", Write(w => DetectionJson.WriteDetection(w, d with { TrackId = 7 })));
    }

    [Fact]
    public void Document_holds_one_result_per_image_in_order()
    {
        var a = new DetectionResult(640, 480, [new DetectedObject(new BoundingBox(0, 0, 10, 10), 0.5f, 0, "a")], new StageTimings(1.23456, 2, 0.0004));
        var b = new DetectionResult(32, 16, [], new StageTimings(0, 0, 0));
        var json = Write(w => DetectionJson.WriteDocument(w, [("x.jpg", a), ("y.png", b)]));
        Assert.Equal(
            """{"results":[{"image":"x.jpg","width":640,"height":480,"detections":[{"label":"a","classIndex":0,"score":0.5,"box":[0,0,10,10]}],"speedMs":{"preprocess":1.235,"inference":2,"postprocess":0}},{"image":"y.png","width":32,"height":16,"detections":[],"speedMs":{"preprocess":0,"inference":0,"postprocess":0}}]}""",
            json);
    }
}
