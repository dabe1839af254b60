using System.Security.Cryptography;
using System.Text.Json;
using OpenVocab.Detection;
using OpenVocab.Imaging;

namespace OpenVocab.Tests.Export;

/// <summary>
/// The C# stages against what ultralytics 8.1.34 and OpenAI CLIP gave on the real architectures with random weights
/// (Reference/export-reference.json, written by models/export/check_random_init.py --write-ci-reference): ultralytics'
/// LetterBox bytes, OpenAI _transform's resize and crop bytes, and ultralytics' NMS and scale_boxes on stored raw
/// outputs of yolov8s-worldv2. Needs no exported pack, so CI runs it.
/// </summary>
public class ExportReferenceTests
{
    internal static readonly string ReferenceDir = Path.Combine(TestPaths.RepoRoot, "tests", "OpenVocab.Tests", "Export", "Reference");

    private static readonly Lazy<JsonElement> Reference = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(ReferenceDir, "export-reference.json"))).RootElement);

    public static TheoryData<int> LetterboxCases() => Indices("letterbox");

    public static TheoryData<int> ClipCropCases() => Indices("clipCrop");

    public static TheoryData<int> DecodeCases()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Reference.Value.GetProperty("decode").GetProperty("cases").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LetterboxCases))]
    public void Letterbox_bytes_equal_ultralytics(int index)
    {
        var c = Reference.Value.GetProperty("letterbox")[index];
        using var image = ImageLoader.Read(ImagePath(c));
        Assert.Equal((c.GetProperty("width").GetInt32(), c.GetProperty("height").GetInt32()), (image.Width, image.Height));
        var transform = LetterboxTransform.Compute(image.Width, image.Height, 640, 640);
        var chw = new float[3 * 640 * 640];
        Letterbox.Apply(image, transform, chw);

        // Back to the HWC BGR bytes ultralytics' LetterBox returns: every value is a byte / 255 exactly.
        var plane = 640 * 640;
        var hwc = new byte[3 * plane];
        for (var i = 0; i < plane; i++)
        {
            for (var c2 = 0; c2 < 3; c2++)
            {
                hwc[(3 * i) + c2] = (byte)MathF.Round(chw[((2 - c2) * plane) + i] * 255f);
            }
        }

        Assert.Equal(c.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(hwc)));
    }

    [Theory]
    [MemberData(nameof(ClipCropCases))]
    public void Clip_resize_and_crop_bytes_equal_openai_transform(int index)
    {
        var c = Reference.Value.GetProperty("clipCrop")[index];
        using var image = ImageLoader.Read(ImagePath(c));
        var size = c.GetProperty("imageSize").GetInt32();
        var preprocessor = new ClipPreprocessor(size, [0.48145466f, 0.4578275f, 0.40821073f], [0.26862954f, 0.26130258f, 0.27577711f]);
        var bgr = preprocessor.ResizeAndCrop(image);
        Assert.Equal(c.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(bgr)));
    }

    [Theory]
    [MemberData(nameof(DecodeCases))]
    public void Decoding_a_raw_yolo_world_output_equals_ultralytics_nms(int index)
    {
        var decode = Reference.Value.GetProperty("decode");
        var c = decode.GetProperty("cases")[index];
        var rows = c.GetProperty("rows").GetInt32();
        var anchors = c.GetProperty("anchors").GetInt32();
        var raw = ReferenceData.ReadFloats(Path.Combine(ReferenceDir, c.GetProperty("raw").GetString()!));
        Assert.Equal(rows * anchors, raw.Length);

        using var image = ImageLoader.Read(ImagePath(c));
        var transform = LetterboxTransform.Compute(image.Width, image.Height, 640, 640);
        var options = new DetectionOptions { Confidence = decode.GetProperty("conf").GetDouble(), IoU = decode.GetProperty("iou").GetDouble() };
        var labels = Enumerable.Range(0, rows - 4).Select(i => $"class {i}").ToArray();
        var actual = new YoloOutputDecoder().Decode(raw, rows - 4, rows - 4, labels, options, transform);

        var expected = c.GetProperty("detections").EnumerateArray().ToArray();
        Assert.True(expected.Length > 10, $"the reference has only {expected.Length} boxes");
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var e = expected[i];
            Assert.Equal(e.GetProperty("cls").GetInt32(), actual[i].ClassIndex);
            Assert.Equal(e.GetProperty("score").GetSingle(), actual[i].Score);
            var box = e.GetProperty("box").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            AssertBox(box, actual[i].Box, 1e-3f);
        }
    }

    internal static void AssertBox(float[] expected, BoundingBox actual, float tolerance)
    {
        Assert.Equal(expected[0], actual.X1, tolerance);
        Assert.Equal(expected[1], actual.Y1, tolerance);
        Assert.Equal(expected[2], actual.X2, tolerance);
        Assert.Equal(expected[3], actual.Y2, tolerance);
    }

    /// <summary>Images are repository paths (samples/...) or files beside the reference.</summary>
    private static string ImagePath(JsonElement c)
    {
        var name = c.GetProperty("image").GetString()!;
        var local = Path.Combine(ReferenceDir, name);
        return File.Exists(local) ? local : Path.Combine(TestPaths.RepoRoot, name);
    }

    private static TheoryData<int> Indices(string key)
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Reference.Value.GetProperty(key).GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }
}
