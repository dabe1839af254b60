using OpenVocab.Detection;

namespace OpenVocab.Evaluation;

/// <summary>A COCO box: top-left corner and size in pixels (<c>[x, y, width, height]</c>), double precision.</summary>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
public readonly record struct CocoBox(double X, double Y, double Width, double Height)
{
    /// <summary>Area, <c>Width · Height</c>, as pycocotools computes it for detections.</summary>
    public double Area => Width * Height;

    /// <summary>Converts a corner box (<c>x1, y1, x2, y2</c>) to COCO's <c>x, y, w, h</c>.</summary>
    public static CocoBox FromBoundingBox(in BoundingBox box) =>
        new(box.X1, box.Y1, (double)box.X2 - box.X1, (double)box.Y2 - box.Y1);

    /// <summary>Converts to a corner box in single precision.</summary>
    public BoundingBox ToBoundingBox() => new((float)X, (float)Y, (float)(X + Width), (float)(Y + Height));
}
