using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using OpenCvSharp;

namespace OpenVocab.Imaging;

/// <summary>
/// Letterbox preprocessing: resize with <c>INTER_LINEAR</c>, pad with 114, and write planar RGB scaled to 0..1
/// straight into a network input tensor. Stateless and thread-safe.
/// </summary>
public static class Letterbox
{
    /// <summary>The padding value ultralytics uses, in 8-bit units.</summary>
    public const byte PadValue = 114;

    private const float PadFloat = PadValue / 255f;

    /// <summary>
    /// Letterboxes <paramref name="image"/> into <paramref name="chwRgb"/> laid out <c>[3, H, W]</c>
    /// (R plane, G plane, B plane), values <c>pixel / 255</c>, padding <c>114 / 255</c>.
    /// Allocates a temporary native image when a resize is needed; use the overload with a scratch
    /// <see cref="Mat"/> to reuse it across frames.
    /// </summary>
    /// <param name="image">8-bit image: 3 channels BGR, 4 channels BGRA (alpha ignored) or 1 channel grey
    /// (copied to all three planes). Its size must equal the transform's source size.</param>
    /// <param name="transform">From <see cref="LetterboxTransform.Compute"/>.</param>
    /// <param name="chwRgb">Destination of at least <c>3 * TargetHeight * TargetWidth</c> floats.</param>
    /// <exception cref="ArgumentException">Bad image type or size, or destination too small.</exception>
    public static void Apply(Mat image, in LetterboxTransform transform, Span<float> chwRgb)
    {
        using var scratch = new Mat();
        Apply(image, transform, chwRgb, scratch);
    }

    /// <summary>
    /// Letterboxes <paramref name="image"/> into <paramref name="chwRgb"/> (see the other overload), resizing into
    /// <paramref name="resizeScratch"/>, which OpenCV reuses without reallocating while the size stays the same.
    /// The scratch image is owned by the caller and must not be shared between threads during the call.
    /// </summary>
    /// <param name="image">8-bit image with 1, 3 (BGR) or 4 (BGRA) channels, of the transform's source size.</param>
    /// <param name="transform">From <see cref="LetterboxTransform.Compute"/>.</param>
    /// <param name="chwRgb">Destination of at least <c>3 * TargetHeight * TargetWidth</c> floats.</param>
    /// <param name="resizeScratch">Caller-owned image that receives the resized pixels.</param>
    /// <exception cref="ArgumentException">Bad image type or size, or destination too small.</exception>
    public static void Apply(Mat image, in LetterboxTransform transform, Span<float> chwRgb, Mat resizeScratch)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(resizeScratch);
        if (image.Empty())
        {
            throw new ArgumentException("The image is empty.", nameof(image));
        }

        if (image.Depth() != MatType.CV_8U || image.Channels() is not (1 or 3 or 4))
        {
            throw new ArgumentException(
                $"The image must be 8-bit with 1, 3 or 4 channels; it is {image.Type()}.", nameof(image));
        }

        if (image.Cols != transform.SourceWidth || image.Rows != transform.SourceHeight)
        {
            throw new ArgumentException(
                $"The image is {image.Cols}x{image.Rows} but the transform was computed for " +
                $"{transform.SourceWidth}x{transform.SourceHeight}.", nameof(image));
        }

        int tw = transform.TargetWidth;
        int th = transform.TargetHeight;
        int plane = tw * th;
        if (chwRgb.Length < 3 * plane)
        {
            throw new ArgumentException(
                $"The destination holds {chwRgb.Length} floats; [3, {th}, {tw}] needs {3 * plane}.", nameof(chwRgb));
        }

        Mat resized = image;
        if (image.Cols != transform.ResizedWidth || image.Rows != transform.ResizedHeight)
        {
            Cv2.Resize(image, resizeScratch, new Size(transform.ResizedWidth, transform.ResizedHeight), 0, 0,
                InterpolationFlags.Linear);
            resized = resizeScratch;
        }

        var r = chwRgb.Slice(0, plane);
        var g = chwRgb.Slice(plane, plane);
        var b = chwRgb.Slice(2 * plane, plane);
        FillPadding(r, transform);
        FillPadding(g, transform);
        FillPadding(b, transform);

        int channels = resized.Channels();
        int width = transform.ResizedWidth;
        long step = resized.Step();
        unsafe
        {
            byte* data = (byte*)resized.Data;
            fixed (float* rp = r, gp = g, bp = b)
            {
                for (int y = 0; y < transform.ResizedHeight; y++)
                {
                    byte* src = data + (y * step);
                    int offset = ((transform.PadTop + y) * tw) + transform.PadLeft;
                    switch (channels)
                    {
                        case 3:
                            ConvertBgrRow(src, rp + offset, gp + offset, bp + offset, width);
                            break;
                        case 4:
                            ConvertBgraRow(src, rp + offset, gp + offset, bp + offset, width);
                            break;
                        default:
                            ConvertGrayRow(src, rp + offset, gp + offset, bp + offset, width);
                            break;
                    }
                }
            }
        }
    }

    private static void FillPadding(Span<float> plane, in LetterboxTransform t)
    {
        int tw = t.TargetWidth;
        plane.Slice(0, t.PadTop * tw).Fill(PadFloat);
        int bottomStart = (t.PadTop + t.ResizedHeight) * tw;
        plane.Slice(bottomStart).Fill(PadFloat);
        if (t.PadLeft == 0 && t.PadRight == 0)
        {
            return;
        }

        for (int y = t.PadTop; y < t.PadTop + t.ResizedHeight; y++)
        {
            int row = y * tw;
            plane.Slice(row, t.PadLeft).Fill(PadFloat);
            plane.Slice(row + t.PadLeft + t.ResizedWidth, t.PadRight).Fill(PadFloat);
        }
    }

    // Division, not multiplication by 1/255: ultralytics divides the float tensor by 255 on CPU, and x * (1/255f)
    // differs from x / 255f by one ulp for some bytes.
    private static unsafe void ConvertBgrRow(byte* src, float* r, float* g, float* b, int width)
    {
        int x = 0;
        // Byte shuffles straight from the instruction set: the portable Vector128.Shuffle is only fast when the JIT
        // sees constant indices at the call, which hoisted masks are not.
        if (Ssse3.IsSupported || AdvSimd.Arm64.IsSupported)
        {
            var div = Vector128.Create(255f);
            // Byte positions of B, G and R for 16 pixels spread over three 16-byte loads;
            // an index past 15 selects zero, so the three partial shuffles can be OR-ed.
            var b0 = Vector128.Create((byte)0, 3, 6, 9, 12, 15, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255);
            var b1 = Vector128.Create((byte)255, 255, 255, 255, 255, 255, 2, 5, 8, 11, 14, 255, 255, 255, 255, 255);
            var b2 = Vector128.Create((byte)255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1, 4, 7, 10, 13);
            var g0 = Vector128.Create((byte)1, 4, 7, 10, 13, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255);
            var g1 = Vector128.Create((byte)255, 255, 255, 255, 255, 0, 3, 6, 9, 12, 15, 255, 255, 255, 255, 255);
            var g2 = Vector128.Create((byte)255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 2, 5, 8, 11, 14);
            var r0 = Vector128.Create((byte)2, 5, 8, 11, 14, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255);
            var r1 = Vector128.Create((byte)255, 255, 255, 255, 255, 1, 4, 7, 10, 13, 255, 255, 255, 255, 255, 255);
            var r2 = Vector128.Create((byte)255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 3, 6, 9, 12, 15);
            for (; x <= width - 16; x += 16)
            {
                byte* p = src + (x * 3);
                var v0 = Vector128.Load(p);
                var v1 = Vector128.Load(p + 16);
                var v2 = Vector128.Load(p + 32);
                var vb = Pick(v0, b0) | Pick(v1, b1) | Pick(v2, b2);
                var vg = Pick(v0, g0) | Pick(v1, g1) | Pick(v2, g2);
                var vr = Pick(v0, r0) | Pick(v1, r1) | Pick(v2, r2);
                Store16(vb, b + x, div);
                Store16(vg, g + x, div);
                Store16(vr, r + x, div);
            }
        }

        for (; x < width; x++)
        {
            byte* p = src + (x * 3);
            b[x] = p[0] / 255f;
            g[x] = p[1] / 255f;
            r[x] = p[2] / 255f;
        }
    }

    // Both instructions give 0 for an index of 255 (pshufb: high bit set; tbl: out of range).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Pick(Vector128<byte> v, Vector128<byte> indices) =>
        Ssse3.IsSupported ? Ssse3.Shuffle(v, indices) : AdvSimd.Arm64.VectorTableLookup(v, indices);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store16(Vector128<byte> v, float* dst, Vector128<float> div)
    {
        var (lo, hi) = Vector128.Widen(v);
        var (a, bb) = Vector128.Widen(lo);
        var (c, d) = Vector128.Widen(hi);
        (Vector128.ConvertToSingle(a.AsInt32()) / div).Store(dst);
        (Vector128.ConvertToSingle(bb.AsInt32()) / div).Store(dst + 4);
        (Vector128.ConvertToSingle(c.AsInt32()) / div).Store(dst + 8);
        (Vector128.ConvertToSingle(d.AsInt32()) / div).Store(dst + 12);
    }

    private static unsafe void ConvertBgraRow(byte* src, float* r, float* g, float* b, int width)
    {
        for (int x = 0; x < width; x++)
        {
            byte* p = src + (x * 4);
            b[x] = p[0] / 255f;
            g[x] = p[1] / 255f;
            r[x] = p[2] / 255f;
        }
    }

    private static unsafe void ConvertGrayRow(byte* src, float* r, float* g, float* b, int width)
    {
        for (int x = 0; x < width; x++)
        {
            float v = src[x] / 255f;
            r[x] = v;
            g[x] = v;
            b[x] = v;
        }
    }
}
