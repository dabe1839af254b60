using System.Collections.ObjectModel;
using System.Globalization;
using System.Text.Json;

namespace OpenVocab.Evaluation;

/// <summary>
/// A COCO detection dataset: images, categories and ground-truth annotations (bounding boxes only).
/// Immutable after loading; safe to share between threads.
/// </summary>
public sealed class CocoDataset
{
    /// <summary>Creates a dataset from its parts.</summary>
    /// <param name="images">The images; every image counts in evaluation, including those without annotations.</param>
    /// <param name="categories">The categories to evaluate.</param>
    /// <param name="annotations">The ground truth.</param>
    public CocoDataset(IEnumerable<CocoImage> images, IEnumerable<CocoCategory> categories, IEnumerable<CocoGroundTruth> annotations)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(annotations);
        Images = images.ToArray();
        Categories = categories.ToArray();
        Annotations = annotations.ToArray();
    }

    /// <summary>The images, in file order.</summary>
    public IReadOnlyList<CocoImage> Images { get; }

    /// <summary>The categories, in file order.</summary>
    public IReadOnlyList<CocoCategory> Categories { get; }

    /// <summary>The ground-truth annotations, in file order.</summary>
    public IReadOnlyList<CocoGroundTruth> Annotations { get; }

    /// <summary>Reads a COCO annotations file (<c>images</c>, <c>annotations</c>, <c>categories</c>).</summary>
    /// <param name="path">Path of the JSON file.</param>
    /// <exception cref="InvalidDataException">The file is not a valid COCO annotations file; the message names it.</exception>
    public static CocoDataset Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>Reads COCO annotations JSON from a stream.</summary>
    /// <param name="json">The JSON; read to the end, not closed.</param>
    /// <param name="sourceName">Named in error messages.</param>
    /// <exception cref="InvalidDataException">The JSON is not a valid COCO annotations document.</exception>
    public static CocoDataset Load(Stream json, string sourceName = "COCO annotations")
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var images = new List<CocoImage>();
            foreach (var e in Array(root, "images"))
            {
                images.Add(new CocoImage(
                    e.GetProperty("id").GetInt64(),
                    e.TryGetProperty("file_name", out var f) ? f.GetString() ?? "" : "",
                    e.TryGetProperty("width", out var w) ? w.GetInt32() : 0,
                    e.TryGetProperty("height", out var h) ? h.GetInt32() : 0));
            }

            var categories = new List<CocoCategory>();
            foreach (var e in Array(root, "categories"))
            {
                var extra = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Name is not ("id" or "name" or "supercategory"))
                    {
                        extra[p.Name] = p.Value.Clone();
                    }
                }

                bool heldOut = extra.TryGetValue("heldout", out var ho) && ho.ValueKind == JsonValueKind.True;
                categories.Add(new CocoCategory(e.GetProperty("id").GetInt32(), e.GetProperty("name").GetString() ?? "")
                {
                    Supercategory = e.TryGetProperty("supercategory", out var sc) && sc.ValueKind == JsonValueKind.String
                        ? sc.GetString()
                        : null,
                    IsHeldOut = heldOut,
                    Extra = new ReadOnlyDictionary<string, JsonElement>(extra),
                });
            }

            var annotations = new List<CocoGroundTruth>();
            foreach (var e in Array(root, "annotations"))
            {
                bool crowd = e.TryGetProperty("iscrowd", out var c) && c.ValueKind == JsonValueKind.Number && c.GetInt32() != 0;
                annotations.Add(new CocoGroundTruth(
                    e.GetProperty("image_id").GetInt64(),
                    e.GetProperty("category_id").GetInt32(),
                    ReadBox(e.GetProperty("bbox")),
                    crowd,
                    e.TryGetProperty("id", out var id) ? id.GetInt64() : 0));
            }

            return new CocoDataset(images, categories, annotations);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{sourceName}: not a valid COCO annotations document: {ex.Message}", ex);
        }
    }

    /// <summary>Reads a COCO results file: an array of <c>{image_id, category_id, bbox, score}</c>.</summary>
    /// <param name="path">Path of the JSON file.</param>
    /// <exception cref="InvalidDataException">The file is not a valid COCO results array; the message names it.</exception>
    public static IReadOnlyList<CocoDetection> LoadDetections(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.OpenRead(path);
        try
        {
            using var doc = JsonDocument.Parse(stream);
            var list = new List<CocoDetection>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                list.Add(new CocoDetection(
                    e.GetProperty("image_id").GetInt64(),
                    e.GetProperty("category_id").GetInt32(),
                    ReadBox(e.GetProperty("bbox")),
                    e.GetProperty("score").GetDouble()));
            }

            return list;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a valid COCO results array: {ex.Message}", ex);
        }
    }

    /// <summary>Writes detections as a COCO results array (<c>{image_id, category_id, bbox, score}</c>).</summary>
    /// <param name="destination">Receives UTF-8 JSON; not closed.</param>
    /// <param name="detections">The detections.</param>
    public static void WriteDetections(Stream destination, IEnumerable<CocoDetection> detections)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(detections);
        using var w = new Utf8JsonWriter(destination);
        w.WriteStartArray();
        foreach (var d in detections)
        {
            w.WriteStartObject();
            w.WriteNumber("image_id", d.ImageId);
            w.WriteNumber("category_id", d.CategoryId);
            w.WriteStartArray("bbox");
            w.WriteNumberValue(d.Box.X);
            w.WriteNumberValue(d.Box.Y);
            w.WriteNumberValue(d.Box.Width);
            w.WriteNumberValue(d.Box.Height);
            w.WriteEndArray();
            w.WriteNumber("score", d.Score);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static JsonElement.ArrayEnumerator Array(JsonElement root, string name) =>
        root.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray()
            : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"missing array \"{name}\""));

    private static CocoBox ReadBox(JsonElement bbox)
    {
        if (bbox.ValueKind != JsonValueKind.Array || bbox.GetArrayLength() != 4)
        {
            throw new FormatException("bbox must be an array [x, y, width, height]");
        }

        return new CocoBox(bbox[0].GetDouble(), bbox[1].GetDouble(), bbox[2].GetDouble(), bbox[3].GetDouble());
    }
}
