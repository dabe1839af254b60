using OpenCvSharp;
using OpenVocab.Detection;

namespace OpenVocab.Drawing;

/// <summary>
/// Draws detections onto a BGR image: a box per detection in a per-class colour and a filled label tag whose text
/// colour is chosen for contrast, so labels stay readable on any background. Stateless and thread-safe.
/// </summary>
public static class Annotator
{
    // 20 well-separated colours (BGR), cycled by class index.
    private static readonly Scalar[] Palette =
    [
        new(56, 56, 255), new(151, 157, 255), new(31, 112, 255), new(29, 178, 255), new(49, 210, 207),
        new(10, 249, 72), new(23, 204, 146), new(134, 219, 61), new(52, 147, 26), new(187, 212, 0),
        new(168, 153, 44), new(255, 194, 0), new(147, 69, 52), new(255, 115, 100), new(236, 24, 0),
        new(255, 56, 132), new(133, 0, 82), new(255, 56, 203), new(200, 149, 255), new(199, 55, 255),
    ];

    /// <summary>Colour used for a class index.</summary>
    public static Scalar ColorFor(int classIndex) => Palette[(int)((uint)classIndex % (uint)Palette.Length)];

    /// <summary>Draws <paramref name="detections"/> onto <paramref name="image"/> in place.</summary>
    /// <param name="image">8-bit BGR image; modified.</param>
    /// <param name="detections">Detections in the image's pixel coordinates.</param>
    /// <param name="labelFor">Optional text per detection; defaults to "label 0.87", with "#id " in front when <see cref="DetectedObject.TrackId"/> is set and " | attribute 0.93" after it when the box was classified.</param>
    public static void Draw(Mat image, IReadOnlyList<DetectedObject> detections, Func<DetectedObject, string>? labelFor = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(detections);
        var thickness = Math.Max((int)Math.Round((image.Width + image.Height) / 2.0 * 0.003), 2);
        var fontScale = thickness / 3.0;
        var fontThickness = Math.Max(thickness - 1, 1);
        foreach (var detection in detections)
        {
            var color = ColorFor(detection.ClassIndex);
            var box = detection.Box;
            var topLeft = new Point((int)Math.Round(box.X1), (int)Math.Round(box.Y1));
            var bottomRight = new Point((int)Math.Round(box.X2), (int)Math.Round(box.Y2));
            // Axis-aligned rectangles on whole pixels gain nothing from anti-aliasing, which costs OpenCV a polygon fill
            // per edge (measured: most of the drawing time on large images); the text keeps it.
            Cv2.Rectangle(image, topLeft, bottomRight, color, thickness, LineTypes.Link8);

            var text = labelFor?.Invoke(detection) ?? DefaultLabel(detection);
            var size = Cv2.GetTextSize(text, HersheyFonts.HersheySimplex, fontScale, fontThickness, out var baseline);
            // Tag above the box when there is room, otherwise inside its top edge.
            var above = topLeft.Y - size.Height - baseline - 3 >= 0;
            var tagTop = above ? topLeft.Y - size.Height - baseline - 3 : topLeft.Y;
            var tagLeft = Math.Clamp(topLeft.X, 0, Math.Max(image.Width - size.Width - 2, 0));
            var tag = new Rect(tagLeft, tagTop, size.Width + 2, size.Height + baseline + 3);
            Cv2.Rectangle(image, tag, color, -1, LineTypes.Link8);
            Cv2.PutText(image, text, new Point(tag.X + 1, tag.Y + size.Height + 1), HersheyFonts.HersheySimplex, fontScale,
                ContrastingText(color), fontThickness, LineTypes.AntiAlias);
        }
    }

    private static string DefaultLabel(DetectedObject d)
    {
        var text = d.TrackId is { } id
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"#{id} {d.Label} {d.Score:0.00}")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{d.Label} {d.Score:0.00}");
        return d.Attribute is { } a ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{text} | {a.Label} {a.Score:0.00}") : text;
    }

    private static Scalar ContrastingText(Scalar bgr)
    {
        var luminance = (0.114 * bgr.Val0) + (0.587 * bgr.Val1) + (0.299 * bgr.Val2);
        return luminance > 150 ? new Scalar(0, 0, 0) : new Scalar(255, 255, 255);
    }
}
