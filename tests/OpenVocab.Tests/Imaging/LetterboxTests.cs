using OpenCvSharp;
using OpenVocab.Detection;
using OpenVocab.Imaging;

namespace OpenVocab.Tests.Imaging;

public class LetterboxTests
{
    [Theory]
    // src w, h -> dst W, H : resized w, h, pad left, top, right, bottom
    [InlineData(333, 517, 320, 320, 206, 320, 57, 0, 57, 0)] // r = 320/517, 333r = 206.11
    [InlineData(1, 1, 320, 320, 320, 320, 0, 0, 0, 0)]
    [InlineData(640, 360, 640, 640, 640, 360, 0, 140, 0, 140)]
    [InlineData(640, 361, 640, 640, 640, 361, 0, 139, 0, 140)] // dh = 139.5: top round(139.4), bottom round(139.6)
    [InlineData(10000, 3, 320, 320, 320, 1, 0, 159, 0, 160)] // round(0.096) = 0 would be an empty image: kept at 1
    [InlineData(5, 4, 100, 10, 12, 10, 44, 0, 44, 0)] // 5 * 2.5 = 12.5 rounds half to even: 12, not 13
    [InlineData(3, 4, 100, 10, 8, 10, 46, 0, 46, 0)] // 3 * 2.5 = 7.5 -> 8
    [InlineData(1280, 720, 640, 640, 640, 360, 0, 140, 0, 140)]
    [InlineData(500, 375, 640, 480, 640, 480, 0, 0, 0, 0)]
    [InlineData(101, 640, 640, 640, 101, 640, 269, 0, 270, 0)] // dw = 269.5
    public void Compute_matches_hand_worked_values(int w, int h, int dw, int dh, int rw, int rh, int l, int t, int r, int b)
    {
        var x = LetterboxTransform.Compute(w, h, dw, dh);
        Assert.Equal((rw, rh, l, t, r, b), (x.ResizedWidth, x.ResizedHeight, x.PadLeft, x.PadTop, x.PadRight, x.PadBottom));
        Assert.Equal(Math.Min((double)dh / h, (double)dw / w), x.Gain);
        Assert.Equal(dw, x.PadLeft + x.ResizedWidth + x.PadRight);
        Assert.Equal(dh, x.PadTop + x.ResizedHeight + x.PadBottom);
    }

    [Fact]
    public void Compute_rejects_empty_sizes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LetterboxTransform.Compute(0, 10, 320, 320));
        Assert.Throws<ArgumentOutOfRangeException>(() => LetterboxTransform.Compute(10, 10, 320, -1));
    }

    [Fact]
    public void Pads_always_sum_to_the_target_on_many_sizes()
    {
        var rng = new Random(7);
        for (int i = 0; i < 5000; i++)
        {
            int w = rng.Next(1, 5000), h = rng.Next(1, 5000), tw = rng.Next(1, 1300), th = rng.Next(1, 1300);
            var x = LetterboxTransform.Compute(w, h, tw, th);
            Assert.Equal(tw, x.PadLeft + x.ResizedWidth + x.PadRight);
            Assert.Equal(th, x.PadTop + x.ResizedHeight + x.PadBottom);
            Assert.True(x.PadLeft >= 0 && x.PadTop >= 0 && x.PadRight >= x.PadLeft && x.PadBottom >= x.PadTop);
            Assert.True(x.PadRight - x.PadLeft <= 1 && x.PadBottom - x.PadTop <= 1);
        }
    }

    [Fact]
    public void Known_colours_land_in_the_right_planes_and_padding_is_114()
    {
        // 4x2 BGR image into 4x4: no resize, one padding row above and below.
        using var img = new Mat(2, 4, MatType.CV_8UC3);
        for (int y = 0; y < 2; y++)
        {
            for (int x = 0; x < 4; x++)
            {
                img.Set(y, x, new Vec3b((byte)(10 * x + y), (byte)(100 + x), (byte)(200 + (10 * y) + x))); // B, G, R
            }
        }

        var t = LetterboxTransform.Compute(4, 2, 4, 4);
        Assert.Equal((1, 1), (t.PadTop, t.PadBottom));
        var dst = new float[3 * 16];
        Letterbox.Apply(img, t, dst);
        const float pad = 114 / 255f;
        for (int x = 0; x < 4; x++)
        {
            for (int p = 0; p < 3; p++)
            {
                Assert.Equal(pad, dst[(p * 16) + x]);
                Assert.Equal(pad, dst[(p * 16) + 12 + x]);
            }

            for (int y = 0; y < 2; y++)
            {
                int i = ((y + 1) * 4) + x;
                Assert.Equal((200 + (10 * y) + x) / 255f, dst[i]); // R plane first
                Assert.Equal((100 + x) / 255f, dst[16 + i]);
                Assert.Equal((10 * x + y) / 255f, dst[32 + i]);
            }
        }
    }

    [Theory]
    [InlineData(37, 5, 37, 9)]    // no resize, SIMD body plus tail
    [InlineData(53, 20, 64, 64)]  // resize up, left/right padding
    [InlineData(200, 31, 64, 64)] // resize down
    [InlineData(16, 16, 16, 16)]  // exactly one vector, no padding
    public void Every_pixel_matches_a_scalar_reference_for_1_3_and_4_channels(int w, int h, int tw, int th)
    {
        var rng = new Random(w * 31 + h);
        foreach (int channels in new[] { 3, 1, 4 })
        {
            using var img = new Mat(h, w, MatType.CV_8UC(channels));
            var bytes = new byte[w * h * channels];
            rng.NextBytes(bytes);
            System.Runtime.InteropServices.Marshal.Copy(bytes, 0, img.Data, bytes.Length);
            var t = LetterboxTransform.Compute(w, h, tw, th);
            using var resized = new Mat();
            Cv2.Resize(img, resized, new Size(t.ResizedWidth, t.ResizedHeight), 0, 0, InterpolationFlags.Linear);
            var dst = new float[3 * tw * th];
            Array.Fill(dst, float.NaN);
            Letterbox.Apply(img, t, dst);
            AssertMatchesReference(resized, t, dst);
        }
    }

    [Fact]
    public void A_submatrix_with_a_row_stride_is_read_correctly_and_the_scratch_is_reused()
    {
        using var big = new Mat(40, 60, MatType.CV_8UC3);
        var bytes = new byte[40 * 60 * 3];
        new Random(3).NextBytes(bytes);
        System.Runtime.InteropServices.Marshal.Copy(bytes, 0, big.Data, bytes.Length);
        using var roi = new Mat(big, new Rect(5, 7, 33, 21));
        Assert.False(roi.IsContinuous());
        var t = LetterboxTransform.Compute(33, 21, 33, 33);
        var dst = new float[3 * 33 * 33];
        using var scratch = new Mat();
        Letterbox.Apply(roi, t, dst, scratch);
        using var clone = roi.Clone();
        AssertMatchesReference(clone, t, dst);

        var t2 = LetterboxTransform.Compute(33, 21, 20, 20);
        var dst2 = new float[3 * 20 * 20];
        Letterbox.Apply(roi, t2, dst2, scratch);
        nint data = scratch.Data;
        Letterbox.Apply(roi, t2, dst2, scratch);
        Assert.Equal(data, scratch.Data);
        AssertMatchesReference(scratch, t2, dst2);
    }

    [Fact]
    public void Apply_rejects_wrong_inputs()
    {
        using var img = new Mat(10, 10, MatType.CV_8UC3, Scalar.All(0));
        var t = LetterboxTransform.Compute(10, 10, 16, 16);
        Assert.Throws<ArgumentException>(() => Letterbox.Apply(img, t, new float[3 * 16 * 16 - 1]));
        Assert.Throws<ArgumentException>(() => Letterbox.Apply(img, LetterboxTransform.Compute(11, 10, 16, 16), new float[768]));
        using var f = new Mat(10, 10, MatType.CV_32FC3, Scalar.All(0));
        Assert.Throws<ArgumentException>(() => Letterbox.Apply(f, t, new float[768]));
    }

    [Fact]
    public void Boxes_map_back_with_gain_and_pad_and_clip_to_the_image()
    {
        var t = LetterboxTransform.Compute(333, 517, 320, 320);
        float g = (float)(320.0 / 517);
        var back = t.MapToSource(new BoundingBox(57, 0, 263, 320));
        Assert.Equal(0f, back.X1);
        Assert.Equal(0f, back.Y1);
        Assert.Equal((263 - 57) / g, back.X2);
        Assert.Equal(320 / g, back.Y2);

        var outside = t.MapToSource(new BoundingBox(-30, -5, 400, 330));
        Assert.Equal(new BoundingBox(0, 0, 333, 517), outside);

        var rng = new Random(11);
        foreach (var (w, h) in new[] { (333, 517), (640, 361), (1920, 1080), (7, 3000) })
        {
            var x = LetterboxTransform.Compute(w, h, 640, 640);
            for (int i = 0; i < 200; i++)
            {
                float x1 = (float)(rng.NextDouble() * w), y1 = (float)(rng.NextDouble() * h);
                var box = new BoundingBox(x1, y1, x1 + (float)(rng.NextDouble() * (w - x1)), y1 + (float)(rng.NextDouble() * (h - y1)));
                var round = x.MapToSource(x.MapFromSource(box));
                float tol = 1e-3f * Math.Max(w, h);
                Assert.InRange(round.X1 - box.X1, -tol, tol);
                Assert.InRange(round.Y1 - box.Y1, -tol, tol);
                Assert.InRange(round.X2 - box.X2, -tol, tol);
                Assert.InRange(round.Y2 - box.Y2, -tol, tol);
            }
        }
    }

    private static void AssertMatchesReference(Mat resized, LetterboxTransform t, float[] dst)
    {
        int tw = t.TargetWidth, th = t.TargetHeight, plane = tw * th, ch = resized.Channels();
        int rows = resized.Rows, cols = resized.Cols;
        var pixels = new byte[rows * cols * ch];
        for (int y = 0; y < rows; y++)
        {
            System.Runtime.InteropServices.Marshal.Copy(resized.Ptr(y), pixels, y * cols * ch, cols * ch);
        }

        const float pad = 114 / 255f;
        for (int y = 0; y < th; y++)
        {
            for (int x = 0; x < tw; x++)
            {
                int ry = y - t.PadTop, rx = x - t.PadLeft;
                bool inside = ry >= 0 && ry < t.ResizedHeight && rx >= 0 && rx < t.ResizedWidth;
                for (int p = 0; p < 3; p++)
                {
                    float expected = pad;
                    if (inside)
                    {
                        // Planes are R, G, B; the image is BGR(A) or grey.
                        int c = ch == 1 ? 0 : 2 - p;
                        expected = pixels[(((ry * cols) + rx) * ch) + c] / 255f;
                    }

                    Assert.Equal(expected, dst[(p * plane) + (y * tw) + x]);
                }
            }
        }
    }
}
