namespace OpenVocab.Detection;

/// <summary>An axis-aligned box in pixels, corners <c>(X1, Y1)</c> top-left and <c>(X2, Y2)</c> bottom-right.</summary>
/// <param name="X1">Left edge.</param>
/// <param name="Y1">Top edge.</param>
/// <param name="X2">Right edge.</param>
/// <param name="Y2">Bottom edge.</param>
public readonly record struct BoundingBox(float X1, float Y1, float X2, float Y2)
{
    /// <summary>Width, <c>X2 − X1</c> (negative for an inverted box).</summary>
    public float Width => X2 - X1;

    /// <summary>Height, <c>Y2 − Y1</c> (negative for an inverted box).</summary>
    public float Height => Y2 - Y1;

    /// <summary>Area, <c>Width · Height</c>, as torchvision computes it (not clamped).</summary>
    public float Area => (X2 - X1) * (Y2 - Y1);

    /// <summary>Creates a box from its centre and size, as YOLO heads emit it: <c>cx ∓ w/2, cy ∓ h/2</c>.</summary>
    public static BoundingBox FromCenter(float cx, float cy, float width, float height)
    {
        float hw = width / 2f;
        float hh = height / 2f;
        return new BoundingBox(cx - hw, cy - hh, cx + hw, cy + hh);
    }

    /// <summary>
    /// Intersection over union in single precision with torchvision's <c>box_iou</c>/<c>nms</c> arithmetic:
    /// <c>inter / (areaA + areaB − inter)</c>; 0 when the union is not positive.
    /// </summary>
    public static float IoU(in BoundingBox a, in BoundingBox b)
    {
        float w = MathF.Max(0f, MathF.Min(a.X2, b.X2) - MathF.Max(a.X1, b.X1));
        float h = MathF.Max(0f, MathF.Min(a.Y2, b.Y2) - MathF.Max(a.Y1, b.Y1));
        float inter = w * h;
        float union = a.Area + b.Area - inter;
        return union > 0f ? inter / union : 0f;
    }

    /// <summary>Intersection over union with <paramref name="other"/>; see <see cref="IoU(in BoundingBox, in BoundingBox)"/>.</summary>
    public float IoU(in BoundingBox other) => IoU(this, other);
}
