using System.Buffers;
using OpenCvSharp;

namespace OpenVocab.Imaging;

/// <summary>
/// CLIP image preprocessing exactly as OpenAI's <c>_transform</c>: resize the shortest side to <see cref="ImageSize"/>
/// with Pillow's bicubic resampler, centre crop, RGB, divide by 255, subtract the mean and divide by the std.
/// </summary>
/// <remarks>
/// <para>
/// The resampler reproduces Pillow's <c>ImagingResample</c> for 8-bit images bit for bit: a separable bicubic filter
/// (a = -0.5, support 2) widened by the downscale factor (so shrinking antialiases), per-output-pixel windows and
/// weights computed in double precision as Pillow does, weights turned into 22-bit fixed point, a horizontal pass
/// then a vertical pass, each rounded and clipped to 8 bits. OpenCV's resizes do not antialias this way, and the
/// difference is visible in the embeddings (see the design notes).
/// </para>
/// <para>
/// Sizes follow torchvision: the long side becomes <c>int(S * long / short)</c> (truncated); the crop offset is
/// <c>round((size - S) / 2)</c>, rounding half to even. Only the pixels inside the crop are computed; each output
/// pixel depends only on its own window, so the values equal a full resize followed by the crop.
/// </para>
/// <para>Immutable and thread-safe.</para>
/// </remarks>
public sealed class ClipPreprocessor
{
    private const int PrecisionBits = 32 - 8 - 2;
    private const double BicubicSupport = 2.0;

    private readonly float[] _scale;
    private readonly float[] _offset;

    // Frames of a video or photos from one camera share a size: their resampling windows and weights are computed once.
    private Coefficients? _lastCoefficients;

    /// <summary>Creates a preprocessor.</summary>
    /// <param name="imageSize">Square output size S (the model's input size).</param>
    /// <param name="mean">Per-channel RGB mean on the 0..1 scale (3 values).</param>
    /// <param name="std">Per-channel RGB standard deviation (3 positive values).</param>
    public ClipPreprocessor(int imageSize, IReadOnlyList<float> mean, IReadOnlyList<float> std)
        : this(imageSize, mean, std, floorCropOffset: false)
    {
    }

    /// <summary>Creates a preprocessor, choosing how the centre-crop offset is rounded.</summary>
    /// <param name="imageSize">Square output size S (the model's input size).</param>
    /// <param name="mean">Per-channel RGB mean on the 0..1 scale (3 values).</param>
    /// <param name="std">Per-channel RGB standard deviation (3 positive values).</param>
    /// <param name="floorCropOffset">True for Hugging Face's CLIPImageProcessor, whose offset is
    /// <c>(size - S) // 2</c>; false for OpenAI's and torchvision's <c>round((size - S) / 2)</c> (half to even).</param>
    public ClipPreprocessor(int imageSize, IReadOnlyList<float> mean, IReadOnlyList<float> std, bool floorCropOffset)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 1);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count != 3 || std.Count != 3 || std.Any(s => !(s > 0) || !float.IsFinite(s)) || mean.Any(m => !float.IsFinite(m)))
        {
            throw new ArgumentException("Mean and std must each hold 3 finite values (R, G, B), std all positive.", nameof(std));
        }

        ImageSize = imageSize;
        FloorCropOffset = floorCropOffset;
        Mean = [.. mean];
        Std = [.. std];
        // torchvision computes (x / 255 - mean) / std in float32; keep the same operations (not a folded affine) so
        // values agree to the last bit or two.
        _scale = [.. std];
        _offset = [.. mean];
    }

    /// <summary>Square output size S.</summary>
    public int ImageSize { get; }

    /// <summary>True when the centre-crop offset is floored (Hugging Face), false when rounded half to even (OpenAI).</summary>
    public bool FloorCropOffset { get; }

    /// <summary>Per-channel RGB mean.</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>Per-channel RGB standard deviation.</summary>
    public IReadOnlyList<float> Std { get; }

    /// <summary>Floats one preprocessed image takes: 3 x S x S.</summary>
    public int TensorLength => 3 * ImageSize * ImageSize;

    /// <summary>
    /// The resized size (before the crop) of a <paramref name="width"/> x <paramref name="height"/> image:
    /// shortest side S, long side <c>int(S * long / short)</c>.
    /// </summary>
    public static (int Width, int Height) ResizedSize(int width, int height, int imageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        return width <= height
            ? (imageSize, (int)((double)((long)imageSize * height) / width))
            : ((int)((double)((long)imageSize * width) / height), imageSize);
    }

    /// <summary>
    /// Preprocesses an 8-bit BGR image (as <see cref="ImageLoader"/> gives) into <paramref name="destination"/> as
    /// float32 <c>[3, S, S]</c> (RGB planes, row-major), ready for the image encoder.
    /// </summary>
    /// <param name="image">8-bit, 3-channel BGR; not modified.</param>
    /// <param name="destination">At least <see cref="TensorLength"/> floats; the first <see cref="TensorLength"/> are written.</param>
    public void Preprocess(Mat image, Span<float> destination)
    {
        int s = ImageSize;
        if (destination.Length < TensorLength)
        {
            throw new ArgumentException($"The destination holds {destination.Length} floats; one {s}x{s} image needs {TensorLength}.", nameof(destination));
        }

        int plane = s * s;
        byte[] crop = ArrayPool<byte>.Shared.Rent(plane * 3);
        try
        {
            ResizeAndCrop(image, crop);
            for (int c = 0; c < 3; c++)
            {
                Span<float> dst = destination.Slice(c * plane, plane);
                int bgr = 2 - c;
                float mean = _offset[c], std = _scale[c];
                for (int i = 0; i < plane; i++)
                {
                    dst[i] = ((crop[(i * 3) + bgr] / 255f) - mean) / std;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(crop);
        }
    }

    /// <summary>
    /// The 8-bit result of the resize and centre crop, <c>[S, S, 3]</c> BGR interleaved: the pixel values Pillow
    /// gives before <c>ToTensor</c>.
    /// </summary>
    /// <param name="image">8-bit, 3-channel BGR; not modified.</param>
    /// <returns>A new array of S x S x 3 bytes, owned by the caller.</returns>
    public byte[] ResizeAndCrop(Mat image)
    {
        var result = new byte[ImageSize * ImageSize * 3];
        ResizeAndCrop(image, result);
        return result;
    }

    private void ResizeAndCrop(Mat image, byte[] result)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Empty() || image.Type() != MatType.CV_8UC3)
        {
            throw new ArgumentException($"Expected a non-empty 8-bit 3-channel BGR image, got {(image.Empty() ? "an empty one" : image.Type().ToString())}; use ImageLoader or ImageLoader.ToBgr8.", nameof(image));
        }

        var coefficients = CoefficientsFor(image.Width, image.Height);
        byte[] temp = ArrayPool<byte>.Shared.Rent(coefficients.Rows * ImageSize * 3);
        try
        {
            unsafe
            {
                ResampleCrop((byte*)image.Data, image.Step(), coefficients, ImageSize, temp, result);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(temp);
        }
    }

    private Coefficients CoefficientsFor(int w, int h)
    {
        var last = Volatile.Read(ref _lastCoefficients);
        if (last is not null && last.Width == w && last.Height == h)
        {
            return last;
        }

        int s = ImageSize;
        (int nw, int nh) = ResizedSize(w, h, s);
        // Pillow's crop pads with zeros when the image is smaller than the crop; with the shortest side equal to S that
        // cannot happen, so the offsets are never negative.
        int left = FloorCropOffset ? (nw - s) / 2 : (int)Math.Round((nw - s) / 2.0, MidpointRounding.ToEven);
        int top = FloorCropOffset ? (nh - s) / 2 : (int)Math.Round((nh - s) / 2.0, MidpointRounding.ToEven);
        var computed = new Coefficients(w, h, AxisCoefficients.Compute(w, nw, left, s), AxisCoefficients.Compute(h, nh, top, s));
        Volatile.Write(ref _lastCoefficients, computed);
        return computed;
    }

    private static unsafe void ResampleCrop(byte* source, long step, Coefficients coefficients, int s, byte[] temp, byte[] result)
    {
        var (horizontal, vertical, rowFirst, rows) = (coefficients.Horizontal, coefficients.Vertical, coefficients.RowFirst, coefficients.Rows);
        const int half = 1 << (PrecisionBits - 1);

        // Horizontal pass (Pillow runs it first), only for the crop's columns and the rows needed below.
        for (int r = 0; r < rows; r++)
        {
            byte* row = source + ((rowFirst + r) * step);
            int tempRow = r * s * 3;
            for (int x = 0; x < s; x++)
            {
                int start = horizontal.Start[x], count = horizontal.Count[x];
                ReadOnlySpan<int> k = horizontal.Weights.AsSpan(x * horizontal.KernelSize, count);
                int s0 = half, s1 = half, s2 = half;
                byte* p = row + (start * 3);
                for (int i = 0; i < count; i++)
                {
                    int w = k[i];
                    s0 += p[i * 3] * w;
                    s1 += p[(i * 3) + 1] * w;
                    s2 += p[(i * 3) + 2] * w;
                }

                int o = tempRow + (x * 3);
                temp[o] = Clip8(s0);
                temp[o + 1] = Clip8(s1);
                temp[o + 2] = Clip8(s2);
            }
        }

        // Vertical pass.
        int stride = s * 3;
        for (int y = 0; y < s; y++)
        {
            int start = vertical.Start[y] - rowFirst, count = vertical.Count[y];
            ReadOnlySpan<int> k = vertical.Weights.AsSpan(y * vertical.KernelSize, count);
            int outRow = y * stride;
            for (int xc = 0; xc < stride; xc++)
            {
                int acc = half;
                int index = (start * stride) + xc;
                for (int i = 0; i < count; i++, index += stride)
                {
                    acc += temp[index] * k[i];
                }

                result[outRow + xc] = Clip8(acc);
            }
        }
    }

    private static byte Clip8(int value) => value <= 0 ? (byte)0 : value >= 256 << PrecisionBits ? (byte)255 : (byte)(value >> PrecisionBits);

    /// <summary>Pillow's bicubic kernel with a = -0.5.</summary>
    private static double Bicubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0)
        {
            return ((((a + 2.0) * x) - (a + 3.0)) * x * x) + 1;
        }

        if (x < 2.0)
        {
            return ((((x - 5) * x) + 8) * x - 4) * a;
        }

        return 0.0;
    }

    /// <summary>Both axes' windows for one input size, and the input rows the vertical pass reads over all crop rows.</summary>
    private sealed class Coefficients
    {
        public Coefficients(int width, int height, AxisCoefficients horizontal, AxisCoefficients vertical)
        {
            (Width, Height, Horizontal, Vertical) = (width, height, horizontal, vertical);
            int first = int.MaxValue, last = 0;
            for (int y = 0; y < vertical.Start.Length; y++)
            {
                first = Math.Min(first, vertical.Start[y]);
                last = Math.Max(last, vertical.Start[y] + vertical.Count[y]);
            }

            (RowFirst, Rows) = (first, last - first);
        }

        public int Width { get; }

        public int Height { get; }

        public AxisCoefficients Horizontal { get; }

        public AxisCoefficients Vertical { get; }

        public int RowFirst { get; }

        public int Rows { get; }
    }

    /// <summary>Windows and fixed-point weights for the output positions [first, first + count) of one axis.</summary>
    private sealed class AxisCoefficients
    {
        private AxisCoefficients(int[] start, int[] count, int[] weights, int kernelSize)
        {
            Start = start;
            Count = count;
            Weights = weights;
            KernelSize = kernelSize;
        }

        public int[] Start { get; }

        public int[] Count { get; }

        public int[] Weights { get; }

        public int KernelSize { get; }

        public static AxisCoefficients Compute(int inSize, int outSize, int first, int count)
        {
            double scale = (double)inSize / outSize;
            double filterScale = Math.Max(scale, 1.0);
            double support = BicubicSupport * filterScale;
            int kernelSize = ((int)Math.Ceiling(support) * 2) + 1;
            var start = new int[count];
            var length = new int[count];
            var weights = new int[count * kernelSize];
            Span<double> k = kernelSize <= 512 ? stackalloc double[kernelSize] : new double[kernelSize];
            double inverse = 1.0 / filterScale;
            for (int j = 0; j < count; j++)
            {
                int xx = first + j;
                double center = (xx + 0.5) * scale;
                int xmin = Math.Max((int)(center - support + 0.5), 0);
                int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
                double sum = 0.0;
                for (int x = 0; x < xmax; x++)
                {
                    double w = Bicubic((x + xmin - center + 0.5) * inverse);
                    k[x] = w;
                    sum += w;
                }

                for (int x = 0; x < xmax; x++)
                {
                    double w = sum != 0.0 ? k[x] / sum : k[x];
                    // Pillow rounds half away from zero when it converts to fixed point.
                    weights[(j * kernelSize) + x] = w < 0
                        ? (int)(-0.5 + (w * (1 << PrecisionBits)))
                        : (int)(0.5 + (w * (1 << PrecisionBits)));
                }

                start[j] = xmin;
                length[j] = Math.Max(xmax, 0);
            }

            return new AxisCoefficients(start, length, weights, kernelSize);
        }
    }
}
