using OpenVocab.Cameras.Analytics;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Events;

namespace OpenVocab.Cameras.Tests.Configuration;

public class CamerasConfigReaderTests
{
    private const string FullYaml = """
        model: models/shapes
        jsonl: events.jsonl
        mqtt:
          host: 127.0.0.1
          port: 1884
          topic_prefix: site1
          queue_limit: 500
        webhook:
          url: http://127.0.0.1:9000/hook
          max_attempts: 3
          initial_backoff: 100ms
        cameras:
          - name: door
            source: samples/door.mp4
            loop: true
            realtime: true
            stride: 2
            confidence: 0.3
            classes:
              - red circle
              - name: blue square
                threshold: 0.6
                prompts: [a blue square, a blue box]
            tracking: { max_age: 10, high_threshold: 0.4 }
            coordinates: normalized
            anchor: center
            zones:
              - name: left
                points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]
                dwell: 2s
            lines:
              - name: middle
                points: [[0.5, 0], [0.5, 1]]
                hysteresis: 6
            events: [enter, exit, cross_in]
            snapshot: crop
          - name: yard
            source: tcp://127.0.0.1:5000
            classes: red circle, green square
            tracking: false
            events: []
        """;

    [Fact]
    public void A_full_yaml_file_reads_every_field()
    {
        var config = CamerasConfigReader.Parse(FullYaml);
        Assert.Equal("models/shapes", config.Model);
        Assert.Equal("events.jsonl", config.JsonLines);
        Assert.Equal(new MqttConfig("127.0.0.1") { Port = 1884, TopicPrefix = "site1", QueueLimit = 500 }, config.Mqtt);
        Assert.Equal(new Uri("http://127.0.0.1:9000/hook"), config.Webhook!.Url);
        Assert.Equal(3, config.Webhook.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(100), config.Webhook.InitialBackoff);

        var door = config.Cameras[0];
        Assert.Equal(("door", "samples/door.mp4", true, true, 2, 0.3), (door.Name, door.Source, door.Loop, door.Realtime, door.Stride, door.Confidence));
        Assert.Equal(["red circle", "blue square"], door.Classes.Select(c => c.Name));
        Assert.Equal(0.6, door.ThresholdFor("blue square"));
        Assert.Equal(0.3, door.ThresholdFor("red circle"));
        Assert.Equal(["a blue square", "a blue box"], door.Classes[1].Prompts!);
        Assert.Equal(10, door.Tracking!.MaxAge);
        Assert.Equal(0.4, door.Tracking.HighThreshold);
        Assert.Equal(CoordinateUnits.Normalized, door.Coordinates);
        Assert.Equal(AnchorPoint.Center, door.Anchor);
        Assert.Equal([new PointF(0, 0), new PointF(0.5, 0), new PointF(0.5, 1), new PointF(0, 1)], door.Zones[0].Points);
        Assert.Equal(TimeSpan.FromSeconds(2), door.Zones[0].Dwell);
        Assert.Equal(new LineConfig("middle", new PointF(0.5, 0), new PointF(0.5, 1)) { Hysteresis = 6 }, door.Lines[0]);
        Assert.Equal(new HashSet<EventKind> { EventKind.Enter, EventKind.Exit, EventKind.CrossIn }, door.Events);
        Assert.Equal(SnapshotMode.Crop, door.Snapshot);

        var yard = config.Cameras[1];
        Assert.Equal(["red circle", "green square"], yard.Classes.Select(c => c.Name));
        Assert.Null(yard.Tracking);
        Assert.Empty(yard.Events);
        Assert.Null(yard.Live);
    }

    [Fact]
    public void Json_reads_the_same_as_yaml()
    {
        const string json = """
            {"cameras": [{"name": "door", "source": "a.mp4", "classes": [{"name": "red circle", "threshold": 0.5}],
              "zones": [{"name": "z", "points": [[0, 0], [10, 0], [10, 10]], "dwell": 1.5}],
              "lines": [{"name": "l", "points": [[0, 5], [10, 5]]}]}]}
            """;
        const string yaml = """
            cameras:
              - name: door
                source: a.mp4
                classes: [{name: red circle, threshold: 0.5}]
                zones: [{name: z, points: [[0, 0], [10, 0], [10, 10]], dwell: 1.5}]
                lines: [{name: l, points: [[0, 5], [10, 5]]}]
            """;
        var a = CamerasConfigReader.Parse(json).Cameras[0];
        var b = CamerasConfigReader.Parse(yaml).Cameras[0];
        Assert.Equal(b.Classes.Single(), a.Classes.Single());
        Assert.Equal(b.Zones.Single().Points, a.Zones.Single().Points);
        Assert.Equal(TimeSpan.FromSeconds(1.5), a.Zones.Single().Dwell);
        Assert.Equal(b.Lines.Single(), a.Lines.Single());
    }

    [Fact]
    public void An_unknown_key_names_the_camera_the_field_the_line_and_the_keys_expected()
    {
        var e = Assert.Throws<CamerasConfigException>(() => CamerasConfigReader.Parse("""
            cameras:
              - name: door
                source: a.mp4
                zones:
                  - name: z
                    points: [[0, 0], [10, 0], [10, 10]]
                    dwel: 3
            """));
        var error = Assert.Single(e.Errors);
        Assert.StartsWith("camera 'door': zones[0].dwel (line 7, column 9): unknown key; expected one of name, points, dwell, hysteresis, classes", error);
    }

    [Fact]
    public void A_self_intersecting_polygon_is_refused_with_the_edges_that_cross()
    {
        var e = Assert.Throws<CamerasConfigException>(() => CamerasConfigReader.Parse("""
            cameras:
              - name: door
                source: a.mp4
                zones:
                  - name: bowtie
                    points: [[0, 0], [10, 10], [10, 0], [0, 10]]
            """));
        Assert.Equal("camera 'door': zones[0].points: the polygon intersects itself: edge 0-1 crosses edge 2-3; expected a simple polygon (list the points in order around it)",
            Assert.Single(e.Errors));
    }

    [Theory]
    [InlineData("[[0, 0], [5, 5], [10, 10]]", "degenerate")]
    [InlineData("[[0, 0], [10, 0]]", "at least 3 points, got 2")]
    [InlineData("[[0, 0], [0, 0], [10, 10]]", "points 0 and 1 are the same")]
    public void Degenerate_polygons_are_refused(string points, string expected)
    {
        var e = Assert.Throws<CamerasConfigException>(() => CamerasConfigReader.Parse($"""
            cameras:
              - name: door
                source: a.mp4
                zones: [{"{"}name: z, points: {points}{"}"}]
            """));
        Assert.Contains(expected, Assert.Single(e.Errors), StringComparison.Ordinal);
        Assert.StartsWith("camera 'door': zones[0].points:", e.Errors[0]);
    }

    [Fact]
    public void Duplicate_camera_and_shape_names_an_unknown_scheme_and_bad_values_are_all_reported_together()
    {
        var e = Assert.Throws<CamerasConfigException>(() => CamerasConfigReader.Parse("""
            cameras:
              - name: door
                source: ftp://example/cam
                confidence: 1.5
                classes: [red circle, red circle]
                zones: [{name: a, points: [[0, 0], [10, 0], [10, 10]]}]
                lines: [{name: a, points: [[0, 0], [0, 0]]}]
              - name: door
                source: a.mp4
                coordinates: normalized
                lines: [{name: l, points: [[0, 0], [2, 1]]}]
            """));
        Assert.Contains(e.Errors, m => m.StartsWith("camera 'door': name: duplicate camera name", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("camera 'door': source: 'ftp://example/cam' uses a URL scheme OpenVocab cannot read; streams may be rtsp", StringComparison.Ordinal));
        Assert.Contains("camera 'door': confidence: expected a number in [0, 1], got 1.5", e.Errors);
        Assert.Contains("camera 'door': classes[1]: duplicate class 'red circle'; expected each class once", e.Errors);
        Assert.Contains("camera 'door': lines[0].name: duplicate name 'a'; zones and lines of one camera need distinct names", e.Errors);
        Assert.Contains("camera 'door': lines[0].points: both ends are (0, 0); expected two distinct points", e.Errors);
        Assert.Contains("camera 'door': lines[0].points: expected normalised coordinates in [0, 1] (the camera says 'coordinates: normalized')", e.Errors);
        Assert.Equal(7, e.Errors.Count);
        Assert.Contains("cameras configuration is not valid:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Type_errors_name_the_field_and_what_was_expected()
    {
        var e = Assert.Throws<CamerasConfigException>(() => CamerasConfigReader.Parse("""
            cameras:
              - name: door
                source: a.mp4
                stride: fast
                live: sometimes
                anchor: top
                events: [enter, teleport]
                tracking: {max_age: -1}
              - source: b.mp4
            """));
        Assert.Contains("camera 'door': stride (line 4, column 13): expected an integer, got 'fast'", e.Errors);
        Assert.Contains("camera 'door': live (line 5, column 11): expected true, false or auto, got 'sometimes'", e.Errors);
        Assert.Contains("camera 'door': anchor (line 6, column 13): expected one of bottom_center, center, got 'top'", e.Errors);
        Assert.Contains(e.Errors, m => m.StartsWith("camera 'door': events (line 7, column 13): unknown event 'teleport'; expected any of appeared, lost, enter, exit, dwell, cross_in, cross_out", StringComparison.Ordinal));
        Assert.Contains("camera 'door': tracking.max_age (line 8, column 25): expected an integer >= 0", e.Errors);
        Assert.Contains(e.Errors, m => m.StartsWith("cameras[1]: name (line 9,", StringComparison.Ordinal) && m.EndsWith("expected a non-empty name", StringComparison.Ordinal));
    }

    [Fact]
    public void Not_yaml_and_no_cameras_are_clear_errors()
    {
        var bad = Assert.Throws<CamerasConfigException>(() => CamerasConfigReader.Parse("cameras: [ {name: a", "x.yaml"));
        Assert.StartsWith("x.yaml is not valid YAML or JSON (line", bad.Message);
        var none = Assert.Throws<CamerasConfigException>(() => CamerasConfigReader.Parse("model: m"));
        Assert.Contains("cameras (line 1, column 1): expected a non-empty list of cameras", Assert.Single(none.Errors), StringComparison.Ordinal);
        var missing = Assert.Throws<CamerasConfigException>(() => CamerasConfigReader.Load("/nonexistent/cameras.yaml"));
        Assert.StartsWith("Cannot read cameras file '/nonexistent/cameras.yaml'", missing.Message);
    }

    [Fact]
    public void Events_need_tracking()
    {
        var e = Assert.Throws<CamerasConfigException>(() => CamerasConfigReader.Parse("""
            cameras:
              - {name: door, source: a.mp4, tracking: false, lines: [{name: l, points: [[0, 0], [5, 5]]}]}
            """));
        Assert.Equal("camera 'door': tracking: events need track ids; expected tracking on (or 'events: []')", Assert.Single(e.Errors));
    }

    [Fact]
    public void One_camera_definition_reads_as_a_file_entry_and_takes_its_name_from_the_caller()
    {
        var camera = CamerasConfigReader.ParseCamera(
            """{"source": "a.mp4", "stride": 2, "classes": ["red circle", {"name": "blue square", "threshold": 0.6}]}""", "door");
        Assert.Equal("door", camera.Name);
        Assert.Equal("a.mp4", camera.Source);
        Assert.Equal(2, camera.Stride);
        Assert.Equal(["red circle", "blue square"], camera.Classes.Select(c => c.Name));
        Assert.Equal(0.6, camera.Classes[1].Threshold);
        Assert.Equal("door", CamerasConfigReader.ParseCamera("name: door\nsource: a.mp4", "door").Name);
    }

    [Theory]
    [InlineData("{\"source\": \"a.mp4\", \"strid\": 2}", "strid")]
    [InlineData("{\"stride\": 2}", "source")]
    [InlineData("{\"source\": \"a.mp4\", \"name\": \"other\"}", "'other'")]
    [InlineData("{\"source\": \"a.mp4\", \"stride\": 0}", "stride")]
    [InlineData("[1]", "expected a mapping")]
    public void A_bad_camera_definition_names_the_field(string text, string mentioned)
    {
        var e = Assert.Throws<CamerasConfigException>(() => CamerasConfigReader.ParseCamera(text, "door"));
        Assert.Contains(mentioned, e.Message, StringComparison.Ordinal);
        Assert.Null(e.InnerException);
    }

    [Fact]
    public void Text_that_is_not_yaml_or_json_keeps_the_parser_error_inside()
    {
        var e = Assert.Throws<CamerasConfigException>(() => CamerasConfigReader.ParseCamera("{\"source\": ", "door"));
        Assert.NotNull(e.InnerException);
    }

    [Fact]
    public void Classes_read_in_every_shape_the_file_allows_and_unknown_keys_are_named()
    {
        Assert.Equal(["a", "b"], CamerasConfigReader.ParseClasses("""{"classes": "a, b"}""").Select(c => c.Name));
        var classes = CamerasConfigReader.ParseClasses("""{"classes": ["a", {"name": "b", "threshold": 0.5, "prompts": ["a b", "the b"]}]}""");
        Assert.Equal(0.5, classes[1].Threshold);
        Assert.Contains("labels", Assert.Throws<CamerasConfigException>(() => CamerasConfigReader.ParseClasses("""{"labels": ["a"]}""")).Message, StringComparison.Ordinal);
        Assert.Contains("classes", Assert.Throws<CamerasConfigException>(() => CamerasConfigReader.ParseClasses("{}")).Message, StringComparison.Ordinal);
    }
}
