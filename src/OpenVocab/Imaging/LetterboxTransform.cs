using OpenVocab.Detection;

namespace OpenVocab.Imaging;

/// <summary>
/// The geometry of one letterbox: how a source image of <see cref="SourceWidth"/> x <see cref="SourceHeight"/>
/// is scaled by <see cref="Gain"/> to <see cref="ResizedWidth"/> x <see cref="ResizedHeight"/> and padded to
/// <see cref="TargetWidth"/> x <see cref="TargetHeight"/>, exactly as ultralytics' <c>LetterBox</c>
/// (<c>auto=False, scaleup=True, center=True</c>) does it, and how boxes map back (ultralytics <c>scale_boxes</c>).
/// </summary>
/// <param name="SourceWidth">Width of the original image in pixels.</param>
/// <param name="SourceHeight">Height of the original image in pixels.</param>
/// <param name="TargetWidth">Width of the network input in pixels.</param>
/// <param name="TargetHeight">Height of the network input in pixels.</param>
/// <param name="Gain">Scale factor from source to network pixels: <c>min(H/h, W/w)</c>.</param>
/// <param name="ResizedWidth">Width of the scaled image inside the padding.</param>
/// <param name="ResizedHeight">Height of the scaled image inside the padding.</param>
/// <param name="PadLeft">Columns of padding on the left.</param>
/// <param name="PadTop">Rows of padding at the top.</param>
/// <param name="PadRight">Columns of padding on the right.</param>
/// <param name="PadBottom">Rows of padding at the bottom.</param>
public readonly record struct LetterboxTransform(
    int SourceWidth,
    int SourceHeight,
    int TargetWidth,
    int TargetHeight,
    double Gain,
    int ResizedWidth,
    int ResizedHeight,
    int PadLeft,
    int PadTop,
    int PadRight,
    int PadBottom)
{
    /// <summary>
    /// Computes the letterbox of a <paramref name="srcWidth"/> x <paramref name="srcHeight"/> image into a
    /// <paramref name="dstWidth"/> x <paramref name="dstHeight"/> input: <c>r = min(H/h, W/w)</c>, resized size
    /// <c>round(w·r), round(h·r)</c> (round half to even, as Python), padding split as
    /// <c>round(d − 0.1)</c> before and <c>round(d + 0.1)</c> after.
    /// </summary>
    /// <remarks>
    /// Where ultralytics would ask OpenCV for a zero-sized image (an extreme aspect such as 10000x3 into 320x320),
    /// the resized side is kept at 1 pixel instead of failing.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public static LetterboxTransform Compute(int srcWidth, int srcHeight, int dstWidth, int dstHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(srcWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(srcHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dstWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dstHeight);

        double r = Math.Min((double)dstHeight / srcHeight, (double)dstWidth / srcWidth);
        int newW = Math.Clamp((int)Math.Round(srcWidth * r, MidpointRounding.ToEven), 1, dstWidth);
        int newH = Math.Clamp((int)Math.Round(srcHeight * r, MidpointRounding.ToEven), 1, dstHeight);
        double dw = (dstWidth - newW) / 2.0;
        double dh = (dstHeight - newH) / 2.0;
        int top = (int)Math.Round(dh - 0.1, MidpointRounding.ToEven);
        int bottom = (int)Math.Round(dh + 0.1, MidpointRounding.ToEven);
        int left = (int)Math.Round(dw - 0.1, MidpointRounding.ToEven);
        int right = (int)Math.Round(dw + 0.1, MidpointRounding.ToEven);
        return new LetterboxTransform(srcWidth, srcHeight, dstWidth, dstHeight, r, newW, newH, left, top, right, bottom);
    }

    /// <summary>
    /// Maps a point from network-input pixels back to source pixels, without clipping:
    /// <c>(x − padLeft) / gain</c>, computed in single precision as ultralytics does on float32 tensors.
    /// </summary>
    public (float X, float Y) MapToSource(float x, float y)
    {
        float g = (float)Gain;
        return ((x - PadLeft) / g, (y - PadTop) / g);
    }

    /// <summary>
    /// Maps a box from network-input pixels back to the source image and clips it to
    /// <c>[0, SourceWidth] x [0, SourceHeight]</c> (ultralytics <c>scale_boxes</c> + <c>clip_boxes</c>).
    /// </summary>
    public BoundingBox MapToSource(in BoundingBox box)
    {
        float g = (float)Gain;
        float w = SourceWidth;
        float h = SourceHeight;
        return new BoundingBox(
            Math.Clamp((box.X1 - PadLeft) / g, 0f, w),
            Math.Clamp((box.Y1 - PadTop) / g, 0f, h),
            Math.Clamp((box.X2 - PadLeft) / g, 0f, w),
            Math.Clamp((box.Y2 - PadTop) / g, 0f, h));
    }

    /// <summary>Maps a box from source pixels into network-input pixels: <c>x·gain + padLeft</c>.</summary>
    public BoundingBox MapFromSource(in BoundingBox box)
    {
        float g = (float)Gain;
        return new BoundingBox(box.X1 * g + PadLeft, box.Y1 * g + PadTop, box.X2 * g + PadLeft, box.Y2 * g + PadTop);
    }
}
