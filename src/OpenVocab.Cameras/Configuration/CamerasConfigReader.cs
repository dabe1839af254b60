using System.Globalization;
using OpenVocab.Cameras.Analytics;
using OpenVocab.Cameras.Events;
using OpenVocab.Tracking;
using OpenVocab.Video;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OpenVocab.Cameras.Configuration;

/// <summary>
/// Reads a cameras file, YAML or JSON (JSON is read as YAML's flow style, so both go through one parser), into a
/// <see cref="CamerasConfig"/>. Keys are snake_case. Every problem is collected (unknown keys, wrong types, values
/// out of range, bad polygons, duplicate names, unknown source schemes) and thrown together, each naming the camera,
/// the field, where it is in the file and what was expected. Stateless and thread-safe.
/// </summary>
public static class CamerasConfigReader
{
    private static readonly string[] TopKeys = ["model", "cameras", "mqtt", "webhook", "jsonl"];
    private static readonly string[] CameraKeys =
    [
        "name", "source", "classes", "confidence", "stride", "live", "loop", "realtime", "tracking", "coordinates", "anchor", "zones",
        "lines", "events", "snapshot", "counts_interval",
    ];
    private static readonly string[] ClassKeys = ["name", "threshold", "prompts"];
    private static readonly string[] ZoneKeys = ["name", "points", "dwell", "hysteresis", "classes"];
    private static readonly string[] LineKeys = ["name", "points", "hysteresis", "classes"];
    private static readonly string[] TrackingKeys = ["high_threshold", "low_threshold", "new_track_threshold", "match_iou", "second_match_iou", "max_age"];
    private static readonly string[] MqttKeys = ["host", "port", "topic_prefix", "client_id", "username", "password", "queue_dir", "queue_limit"];
    private static readonly string[] WebhookKeys = ["url", "max_attempts", "initial_backoff", "max_backoff", "queue_capacity", "timeout"];

    /// <summary>
    /// Reads and validates the file at <paramref name="path"/>. Relative paths in it (file and folder sources, model,
    /// jsonl, mqtt.queue_dir) are taken relative to the file's folder, so a cameras file works from any directory.
    /// </summary>
    /// <exception cref="CamerasConfigException">The file is missing, not YAML/JSON, or not valid; the message lists every problem.</exception>
    public static CamerasConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CamerasConfigException($"Cannot read cameras file '{path}': {e.Message}", e);
        }

        var config = Parse(text, $"cameras file '{path}'");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string? Resolve(string? p) => p is null || Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(folder, p));
        return config with
        {
            Model = Resolve(config.Model),
            JsonLines = Resolve(config.JsonLines),
            Mqtt = config.Mqtt is { } m ? m with { QueueDirectory = Resolve(m.QueueDirectory) } : null,
            Cameras = [.. config.Cameras.Select(c => VideoSource.KindOf(c.Source) is VideoSourceKind.File or VideoSourceKind.ImageFolder && !c.Source.Contains("://", StringComparison.Ordinal)
                ? c with { Source = Resolve(c.Source)! }
                : c)],
        };
    }

    /// <summary>Parses and validates cameras configuration text (YAML or JSON).</summary>
    /// <param name="text">The document.</param>
    /// <param name="sourceName">What to call the document in messages.</param>
    /// <exception cref="CamerasConfigException">Not valid; the message lists every problem.</exception>
    public static CamerasConfig Parse(string text, string sourceName = "cameras configuration")
    {
        ArgumentNullException.ThrowIfNull(text);
        var root = Root(text, sourceName, "a mapping with a 'cameras' list at the top");
        var reader = new Reader();
        var config = reader.ReadRoot(root);
        // Semantic checks live on the records, so that cameras added through the API are checked the same way.
        var errors = reader.Errors;
        if (errors.Count == 0)
        {
            errors.AddRange(config.Validate());
        }

        if (errors.Count > 0)
        {
            throw new CamerasConfigException(sourceName, errors);
        }

        return config;
    }

    /// <summary>
    /// Parses and validates ONE camera definition (YAML or JSON), in the shape of an entry of the file's
    /// <c>cameras</c> list, with the same checks and messages. Used by the server's <c>PUT /v1/cameras/{name}</c>.
    /// </summary>
    /// <param name="text">The definition.</param>
    /// <param name="name">The camera's name when the definition has none; when it has one, the two must agree.</param>
    /// <param name="sourceName">What to call the document in messages.</param>
    /// <exception cref="CamerasConfigException">Not valid; the message lists every problem. Its inner exception is set only when the text is not YAML/JSON at all.</exception>
    public static CameraConfig ParseCamera(string text, string name, string sourceName = "camera definition")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(name);
        var map = Root(text, sourceName, "a mapping with at least 'source'");
        var key = new YamlScalarNode("name");
        if (!map.Children.TryGetValue(key, out var given))
        {
            map.Children.Add(key, new YamlScalarNode(name));
        }
        else if (given is not YamlScalarNode { Value: { } g } || !string.Equals(g, name, StringComparison.Ordinal))
        {
            throw new CamerasConfigException($"{sourceName}: name: the definition names '{(given as YamlScalarNode)?.Value}' but the camera is '{name}'; expected the same name or none");
        }

        var reader = new Reader();
        var camera = reader.ReadCamera(map, 0);
        var errors = reader.Errors;
        if (errors.Count == 0 && camera is not null)
        {
            errors.AddRange(camera.Validate());
        }

        return errors.Count > 0 || camera is null ? throw new CamerasConfigException(sourceName, errors) : camera;
    }

    /// <summary>
    /// Parses a mapping with one key, <c>classes</c>, whose value has the shape of a camera's <c>classes</c> in the
    /// file (a list of labels or of {name, threshold, prompts}, or one comma-separated string). Used by the server's
    /// <c>PUT /v1/cameras/{name}/classes</c>; the camera checks the classes when they are set.
    /// </summary>
    /// <exception cref="CamerasConfigException">Not valid; as <see cref="ParseCamera"/>.</exception>
    public static IReadOnlyList<ClassConfig> ParseClasses(string text, string sourceName = "class change")
    {
        ArgumentNullException.ThrowIfNull(text);
        var map = Root(text, sourceName, "a mapping with 'classes'");
        var reader = new Reader();
        var keys = reader.Keys(map, ["classes"], "", "");
        if (!keys.TryGetValue("classes", out var node))
        {
            reader.Error(map, "", "classes", "missing; expected a list of classes or one comma-separated string");
            throw new CamerasConfigException(sourceName, reader.Errors);
        }

        var classes = reader.ReadClasses(node, "");
        return reader.Errors.Count > 0 ? throw new CamerasConfigException(sourceName, reader.Errors) : classes;
    }

    private static YamlMappingNode Root(string text, string sourceName, string expected)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new CamerasConfigException($"{sourceName} is not valid YAML or JSON (line {e.Start.Line}, column {e.Start.Column}): {e.Message}", e);
        }

        return stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root
            ? root
            : throw new CamerasConfigException($"{sourceName}: expected {expected}");
    }

    private sealed class Reader
    {
        public List<string> Errors { get; } = [];

        public CamerasConfig ReadRoot(YamlMappingNode root)
        {
            var keys = Keys(root, TopKeys, "", "");
            var config = new CamerasConfig();
            if (keys.TryGetValue("model", out var model))
            {
                config = config with { Model = Text(model, "", "model") };
            }

            if (keys.TryGetValue("jsonl", out var jsonl))
            {
                config = config with { JsonLines = Text(jsonl, "", "jsonl") };
            }

            if (keys.TryGetValue("mqtt", out var mqtt))
            {
                config = config with { Mqtt = ReadMqtt(mqtt) };
            }

            if (keys.TryGetValue("webhook", out var webhook))
            {
                config = config with { Webhook = ReadWebhook(webhook) };
            }

            if (!keys.TryGetValue("cameras", out var cameras) || cameras is not YamlSequenceNode list || list.Children.Count == 0)
            {
                Error(cameras ?? root, "", "cameras", "expected a non-empty list of cameras");
                return config;
            }

            var result = new List<CameraConfig>();
            for (var i = 0; i < list.Children.Count; i++)
            {
                if (ReadCamera(list.Children[i], i) is { } camera)
                {
                    result.Add(camera);
                }
            }

            return config with { Cameras = result };
        }

        public CameraConfig? ReadCamera(YamlNode node, int index)
        {
            var where = $"cameras[{index}]";
            if (node is not YamlMappingNode map)
            {
                Error(node, where, "", "expected a mapping with at least 'name' and 'source'");
                return null;
            }

            // Name first, so that every later message names the camera.
            var name = map.Children.TryGetValue(new YamlScalarNode("name"), out var n) && n is YamlScalarNode s && !string.IsNullOrWhiteSpace(s.Value)
                ? s.Value!
                : null;
            var ctx = name is null ? where : $"camera '{name}'";
            var keys = Keys(map, CameraKeys, ctx, "");
            if (name is null)
            {
                Error(map, ctx, "name", "expected a non-empty name");
            }

            string? source = null;
            if (!keys.TryGetValue("source", out var src))
            {
                Error(map, ctx, "source", "missing; expected a file, folder, camera index or stream URL");
            }
            else
            {
                source = Text(src, ctx, "source");
            }

            var camera = new CameraConfig(name ?? "", source ?? "");
            foreach (var (key, value) in keys)
            {
                switch (key)
                {
                    case "classes":
                        camera = camera with { Classes = ReadClasses(value, ctx) };
                        break;
                    case "confidence":
                        camera = camera with { Confidence = Number(value, ctx, key) ?? camera.Confidence };
                        break;
                    case "stride":
                        camera = camera with { Stride = Integer(value, ctx, key) ?? camera.Stride };
                        break;
                    case "live":
                        camera = value is YamlScalarNode { Value: "auto" } ? camera with { Live = null } : camera with { Live = Bool(value, ctx, key, "true, false or auto") };
                        break;
                    case "loop":
                        camera = camera with { Loop = Bool(value, ctx, key) ?? false };
                        break;
                    case "realtime":
                        camera = camera with { Realtime = Bool(value, ctx, key) ?? false };
                        break;
                    case "tracking":
                        camera = camera with { Tracking = ReadTracking(value, ctx) };
                        break;
                    case "coordinates":
                        camera = camera with { Coordinates = Choice(value, ctx, key, [("pixels", CoordinateUnits.Pixels), ("normalized", CoordinateUnits.Normalized), ("normalised", CoordinateUnits.Normalized)]) ?? camera.Coordinates };
                        break;
                    case "anchor":
                        camera = camera with { Anchor = Choice(value, ctx, key, [("bottom_center", AnchorPoint.BottomCenter), ("center", AnchorPoint.Center)]) ?? camera.Anchor };
                        break;
                    case "snapshot":
                        camera = camera with { Snapshot = Choice(value, ctx, key, [("none", SnapshotMode.None), ("crop", SnapshotMode.Crop), ("frame", SnapshotMode.Frame)]) ?? camera.Snapshot };
                        break;
                    case "counts_interval":
                        camera = camera with { CountsInterval = Duration(value, ctx, key) ?? camera.CountsInterval };
                        break;
                    case "zones":
                        camera = camera with { Zones = Items(value, ctx, key, ReadZone) };
                        break;
                    case "lines":
                        camera = camera with { Lines = Items(value, ctx, key, ReadLine) };
                        break;
                    case "events":
                        camera = camera with { Events = ReadEvents(value, ctx) };
                        break;
                }
            }

            return camera;
        }

        public List<ClassConfig> ReadClasses(YamlNode node, string ctx)
        {
            if (node is YamlScalarNode scalar)
            {
                // "red circle, blue square" as on the command line.
                return [.. (scalar.Value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(c => new ClassConfig(c))];
            }

            return Items(node, ctx, "classes", (item, field) =>
            {
                if (item is YamlScalarNode s)
                {
                    return new ClassConfig(s.Value ?? "");
                }

                var keys = Keys(item, ClassKeys, ctx, field);
                if (!keys.TryGetValue("name", out var nameNode))
                {
                    Error(item, ctx, field + ".name", "missing; expected the class label");
                    return null;
                }

                var c = new ClassConfig(Text(nameNode, ctx, field + ".name") ?? "");
                if (keys.TryGetValue("threshold", out var t))
                {
                    c = c with { Threshold = Number(t, ctx, field + ".threshold") };
                }

                if (keys.TryGetValue("prompts", out var p))
                {
                    c = c with { Prompts = Strings(p, ctx, field + ".prompts") };
                }

                return c;
            });
        }

        private ZoneConfig? ReadZone(YamlNode node, string field, string ctx)
        {
            var keys = Keys(node, ZoneKeys, ctx, field);
            var name = keys.TryGetValue("name", out var n) ? Text(n, ctx, field + ".name") : null;
            if (name is null)
            {
                Error(node, ctx, field + ".name", "missing; expected a zone name");
            }

            if (!keys.TryGetValue("points", out var p))
            {
                Error(node, ctx, field + ".points", "missing; expected a list of [x, y] points");
                return null;
            }

            var points = Points(p, ctx, field + ".points");
            if (points is null || name is null)
            {
                return null;
            }

            var zone = new ZoneConfig(name, points);
            if (keys.TryGetValue("dwell", out var d))
            {
                zone = zone with { Dwell = Duration(d, ctx, field + ".dwell") };
            }

            if (keys.TryGetValue("hysteresis", out var h))
            {
                zone = zone with { Hysteresis = Number(h, ctx, field + ".hysteresis") ?? zone.Hysteresis };
            }

            if (keys.TryGetValue("classes", out var c))
            {
                zone = zone with { Classes = Strings(c, ctx, field + ".classes") };
            }

            return zone;
        }

        private LineConfig? ReadLine(YamlNode node, string field, string ctx)
        {
            var keys = Keys(node, LineKeys, ctx, field);
            var name = keys.TryGetValue("name", out var n) ? Text(n, ctx, field + ".name") : null;
            if (name is null)
            {
                Error(node, ctx, field + ".name", "missing; expected a line name");
            }

            if (!keys.TryGetValue("points", out var p))
            {
                Error(node, ctx, field + ".points", "missing; expected two [x, y] points");
                return null;
            }

            var points = Points(p, ctx, field + ".points");
            if (points is not null && points.Count != 2)
            {
                Error(p, ctx, field + ".points", $"expected exactly two [x, y] points, got {points.Count}");
                return null;
            }

            if (points is null || name is null)
            {
                return null;
            }

            var line = new LineConfig(name, points[0], points[1]);
            if (keys.TryGetValue("hysteresis", out var h))
            {
                line = line with { Hysteresis = Number(h, ctx, field + ".hysteresis") ?? line.Hysteresis };
            }

            if (keys.TryGetValue("classes", out var c))
            {
                line = line with { Classes = Strings(c, ctx, field + ".classes") };
            }

            return line;
        }

        private TrackerOptions? ReadTracking(YamlNode node, string ctx)
        {
            if (node is YamlScalarNode)
            {
                return Bool(node, ctx, "tracking", "true, false or a mapping of tracker settings") is false ? null : new TrackerOptions();
            }

            var keys = Keys(node, TrackingKeys, ctx, "tracking");
            var options = new TrackerOptions();
            foreach (var (key, value) in keys)
            {
                var field = "tracking." + key;
                try
                {
                    options = key switch
                    {
                        "max_age" => Integer(value, ctx, field) is { } a ? options with { MaxAge = a } : options,
                        _ => Number(value, ctx, field) is { } v
                            ? key switch
                            {
                                "high_threshold" => options with { HighThreshold = v },
                                "low_threshold" => options with { LowThreshold = v },
                                "new_track_threshold" => options with { NewTrackThreshold = v },
                                "match_iou" => options with { MatchIoU = v },
                                _ => options with { SecondMatchIoU = v },
                            }
                            : options,
                    };
                }
                catch (ArgumentOutOfRangeException)
                {
                    Error(value, ctx, field, key == "max_age" ? "expected an integer >= 0" : "expected a number in [0, 1]");
                }
            }

            return options;
        }

        private HashSet<EventKind> ReadEvents(YamlNode node, string ctx)
        {
            var set = new HashSet<EventKind>();
            var names = Strings(node, ctx, "events") ?? [];
            foreach (var name in names)
            {
                if (name == "all")
                {
                    set.UnionWith(EventKinds.All);
                }
                else if (EventKinds.TryParse(name, out var kind))
                {
                    set.Add(kind);
                }
                else
                {
                    Error(node, ctx, "events", $"unknown event '{name}'; expected any of {EventKinds.List} (or all)");
                }
            }

            return set;
        }

        private MqttConfig? ReadMqtt(YamlNode node)
        {
            var keys = Keys(node, MqttKeys, "", "mqtt");
            if (!keys.TryGetValue("host", out var host) || Text(host, "", "mqtt.host") is not { } h)
            {
                Error(node, "", "mqtt.host", "missing; expected the broker's host name or address");
                return null;
            }

            var config = new MqttConfig(h);
            foreach (var (key, value) in keys)
            {
                var field = "mqtt." + key;
                config = key switch
                {
                    "port" => config with { Port = Integer(value, "", field) ?? config.Port },
                    "topic_prefix" => config with { TopicPrefix = Text(value, "", field) ?? config.TopicPrefix },
                    "client_id" => config with { ClientId = Text(value, "", field) ?? config.ClientId },
                    "username" => config with { Username = Text(value, "", field) },
                    "password" => config with { Password = Text(value, "", field) },
                    "queue_dir" => config with { QueueDirectory = Text(value, "", field) },
                    "queue_limit" => config with { QueueLimit = Integer(value, "", field) ?? config.QueueLimit },
                    _ => config,
                };
            }

            return config;
        }

        private WebhookConfig? ReadWebhook(YamlNode node)
        {
            var keys = Keys(node, WebhookKeys, "", "webhook");
            if (!keys.TryGetValue("url", out var url) || Text(url, "", "webhook.url") is not { } u)
            {
                Error(node, "", "webhook.url", "missing; expected an http or https URL");
                return null;
            }

            if (!Uri.TryCreate(u, UriKind.Absolute, out var uri))
            {
                Error(url, "", "webhook.url", $"'{u}' is not an absolute URL; expected http://host:port/path");
                return null;
            }

            var config = new WebhookConfig(uri);
            foreach (var (key, value) in keys)
            {
                var field = "webhook." + key;
                config = key switch
                {
                    "max_attempts" => config with { MaxAttempts = Integer(value, "", field) ?? config.MaxAttempts },
                    "queue_capacity" => config with { QueueCapacity = Integer(value, "", field) ?? config.QueueCapacity },
                    "initial_backoff" => config with { InitialBackoff = Duration(value, "", field) ?? config.InitialBackoff },
                    "max_backoff" => config with { MaxBackoff = Duration(value, "", field) ?? config.MaxBackoff },
                    "timeout" => config with { Timeout = Duration(value, "", field) ?? config.Timeout },
                    _ => config,
                };
            }

            return config;
        }

        /// <summary>The mapping's entries by key; unknown keys are reported with the ones expected.</summary>
        public Dictionary<string, YamlNode> Keys(YamlNode node, string[] allowed, string ctx, string field)
        {
            var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            if (node is not YamlMappingNode map)
            {
                Error(node, ctx, field, "expected a mapping");
                return result;
            }

            foreach (var (k, v) in map.Children)
            {
                var key = (k as YamlScalarNode)?.Value ?? "";
                if (Array.IndexOf(allowed, key) < 0)
                {
                    Error(k, ctx, Join(field, key), $"unknown key; expected one of {string.Join(", ", allowed)}");
                }
                else if (!result.TryAdd(key, v))
                {
                    Error(k, ctx, Join(field, key), "given twice");
                }
            }

            return result;
        }

        private List<T> Items<T>(YamlNode node, string ctx, string field, Func<YamlNode, string, T?> read)
            where T : class
        {
            var list = new List<T>();
            if (node is not YamlSequenceNode seq)
            {
                Error(node, ctx, field, "expected a list");
                return list;
            }

            for (var i = 0; i < seq.Children.Count; i++)
            {
                if (read(seq.Children[i], $"{field}[{i}]") is { } item)
                {
                    list.Add(item);
                }
            }

            return list;
        }

        private List<T> Items<T>(YamlNode node, string ctx, string field, Func<YamlNode, string, string, T?> read)
            where T : class => Items(node, ctx, field, (n, f) => read(n, f, ctx));

        private List<PointF>? Points(YamlNode node, string ctx, string field)
        {
            if (node is not YamlSequenceNode seq)
            {
                Error(node, ctx, field, "expected a list of [x, y] points");
                return null;
            }

            var points = new List<PointF>();
            for (var i = 0; i < seq.Children.Count; i++)
            {
                if (seq.Children[i] is not YamlSequenceNode pair || pair.Children.Count != 2)
                {
                    Error(seq.Children[i], ctx, $"{field}[{i}]", "expected a point [x, y]");
                    return null;
                }

                var x = Number(pair.Children[0], ctx, $"{field}[{i}]");
                var y = Number(pair.Children[1], ctx, $"{field}[{i}]");
                if (x is null || y is null)
                {
                    return null;
                }

                points.Add(new PointF(x.Value, y.Value));
            }

            return points;
        }

        private List<string>? Strings(YamlNode node, string ctx, string field)
        {
            if (node is YamlSequenceNode seq)
            {
                var list = new List<string>();
                foreach (var item in seq.Children)
                {
                    if (Text(item, ctx, field) is { } s)
                    {
                        list.Add(s);
                    }
                }

                return list;
            }

            if (node is YamlScalarNode scalar && !string.IsNullOrWhiteSpace(scalar.Value))
            {
                return [.. scalar.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
            }

            Error(node, ctx, field, "expected a list of strings");
            return null;
        }

        private string? Text(YamlNode node, string ctx, string field)
        {
            if (node is YamlScalarNode { Value: { } v } && !string.IsNullOrWhiteSpace(v))
            {
                return v;
            }

            Error(node, ctx, field, "expected a non-empty string");
            return null;
        }

        private double? Number(YamlNode node, string ctx, string field)
        {
            if (node is YamlScalarNode { Value: { } v } && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            {
                return d;
            }

            Error(node, ctx, field, $"expected a number, got {Describe(node)}");
            return null;
        }

        private int? Integer(YamlNode node, string ctx, string field)
        {
            if (node is YamlScalarNode { Value: { } v } && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i))
            {
                return i;
            }

            Error(node, ctx, field, $"expected an integer, got {Describe(node)}");
            return null;
        }

        private bool? Bool(YamlNode node, string ctx, string field, string expected = "true or false")
        {
            if (node is YamlScalarNode { Value: { } v } && bool.TryParse(v, out var b))
            {
                return b;
            }

            Error(node, ctx, field, $"expected {expected}, got {Describe(node)}");
            return null;
        }

        private T? Choice<T>(YamlNode node, string ctx, string field, (string Name, T Value)[] choices)
            where T : struct
        {
            if (node is YamlScalarNode { Value: { } v })
            {
                foreach (var (name, value) in choices)
                {
                    if (string.Equals(name, v, StringComparison.OrdinalIgnoreCase))
                    {
                        return value;
                    }
                }
            }

            Error(node, ctx, field, $"expected one of {string.Join(", ", choices.Select(c => c.Name))}, got {Describe(node)}");
            return null;
        }

        /// <summary>Seconds as a number, or a number with a unit: 500ms, 2s, 1.5m, 1h.</summary>
        private TimeSpan? Duration(YamlNode node, string ctx, string field)
        {
            if (node is YamlScalarNode { Value: { } v })
            {
                var text = v.Trim();
                (string Suffix, double Scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("", 1)];
                foreach (var (suffix, scale) in units)
                {
                    if (text.EndsWith(suffix, StringComparison.Ordinal) &&
                        double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
                    {
                        return TimeSpan.FromSeconds(d * scale);
                    }
                }
            }

            Error(node, ctx, field, $"expected a duration (seconds, or with a unit: 500ms, 2s, 1.5m), got {Describe(node)}");
            return null;
        }

        public void Error(YamlNode node, string ctx, string field, string message)
        {
            var where = string.Join(": ", new[] { ctx, field }.Where(s => s.Length > 0));
            Errors.Add(FormattableString.Invariant($"{where} (line {node.Start.Line}, column {node.Start.Column}): {message}"));
        }

        private static string Join(string field, string key) => field.Length == 0 ? key : $"{field}.{key}";

        private static string Describe(YamlNode node) => node switch
        {
            YamlScalarNode s => $"'{s.Value}'",
            YamlSequenceNode => "a list",
            _ => "a mapping",
        };
    }
}
