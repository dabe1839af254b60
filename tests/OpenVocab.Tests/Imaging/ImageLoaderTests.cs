using OpenCvSharp;
using OpenVocab.Imaging;

namespace OpenVocab.Tests.Imaging;

public class ImageLoaderTests
{
    [Fact]
    public void Missing_file_names_the_file()
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageLoader.Read("/no/such/image.jpg"));
        Assert.Contains("/no/such/image.jpg", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_byte_file_is_reported_as_empty()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("empty.jpg"), []);
        var e = Assert.Throws<ImageDecodeException>(() => ImageLoader.Read(dir.File("empty.jpg")));
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_image_file_is_reported_as_undecodable()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("notes.png"), "this is not an image at all");
        var e = Assert.Throws<ImageDecodeException>(() => ImageLoader.Read(dir.File("notes.png")));
        Assert.Contains("not a decodable image", e.Message, StringComparison.Ordinal);
        Assert.Contains("notes.png", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_jpeg_is_an_error_not_a_grey_image()
    {
        using var image = Gradient(200, 150);
        Cv2.ImEncode(".jpg", image, out var jpeg);
        var cut = jpeg.AsSpan(0, jpeg.Length * 2 / 3).ToArray();
        var e = Assert.Throws<ImageDecodeException>(() => ImageLoader.Decode(cut, "cut.jpg"));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);

        // Bytes after the end-of-image marker (camera trailers) are fine.
        using var withTrailer = ImageLoader.Decode([.. jpeg, 1, 2, 3, 4], "trailer.jpg");
        Assert.Equal(new Size(200, 150), withTrailer.Size());
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(333, 517)]
    public void Odd_sizes_decode(int width, int height)
    {
        using var image = Gradient(width, height);
        Cv2.ImEncode(".png", image, out var png);
        using var decoded = ImageLoader.Decode(png);
        Assert.Equal(new Size(width, height), decoded.Size());
        Assert.Equal(MatType.CV_8UC3, decoded.Type());
    }

    [Fact]
    public void Gray_rgba_and_16_bit_images_are_converted_to_8_bit_bgr()
    {
        using var gray = new Mat(20, 30, MatType.CV_8UC1, new Scalar(200));
        using var bgra = new Mat(20, 30, MatType.CV_8UC4, new Scalar(10, 20, 30, 40));
        using var deep = new Mat(20, 30, MatType.CV_16UC3, new Scalar(65535, 0, 257 * 100));
        foreach (var (source, expected) in new[] { (gray, new Vec3b(200, 200, 200)), (bgra, new Vec3b(10, 20, 30)), (deep, new Vec3b(255, 0, 100)) })
        {
            Cv2.ImEncode(".png", source, out var png);
            using var decoded = ImageLoader.Decode(png);
            Assert.Equal(MatType.CV_8UC3, decoded.Type());
            Assert.Equal(expected, decoded.At<Vec3b>(5, 5));
        }
    }

    [Fact]
    public void Very_large_image_decodes()
    {
        using var big = new Mat(10000, 10000, MatType.CV_8UC1, new Scalar(7));
        Cv2.ImEncode(".png", big, out var png);
        using var decoded = ImageLoader.Decode(png);
        Assert.Equal(new Size(10000, 10000), decoded.Size());
    }

    internal static Mat Gradient(int width, int height)
    {
        var image = new Mat(height, width, MatType.CV_8UC3);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image.Set(y, x, new Vec3b((byte)(x * 255 / Math.Max(width - 1, 1)), (byte)(y * 255 / Math.Max(height - 1, 1)), 128));
            }
        }

        return image;
    }
}
