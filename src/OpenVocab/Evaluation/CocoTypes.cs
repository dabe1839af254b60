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

/// <summary>A ground-truth object (a COCO annotation).</summary>
/// <param name="ImageId">The image it belongs to.</param>
/// <param name="CategoryId">Its category.</param>
/// <param name="Box">Its box.</param>
/// <param name="IsCrowd">A crowd region: never a miss, and detections matching it are neither true nor false
/// positives (pycocotools' <c>ignore</c>); IoU against it is intersection over the detection's area.</param>
/// <param name="Id">The annotation id, when known.</param>
public readonly record struct CocoGroundTruth(long ImageId, int CategoryId, CocoBox Box, bool IsCrowd = false, long Id = 0);

/// <summary>A detection to evaluate (a COCO result entry).</summary>
/// <param name="ImageId">The image it was found in.</param>
/// <param name="CategoryId">Its category.</param>
/// <param name="Box">Its box.</param>
/// <param name="Score">Its confidence; higher ranks first.</param>
public readonly record struct CocoDetection(long ImageId, int CategoryId, CocoBox Box, double Score);

/// <summary>An image entry of a COCO dataset.</summary>
/// <param name="Id">Image id.</param>
/// <param name="FileName">File name, relative to the image folder.</param>
/// <param name="Width">Width in pixels (0 when absent).</param>
/// <param name="Height">Height in pixels (0 when absent).</param>
public sealed record CocoImage(long Id, string FileName, int Width, int Height);
