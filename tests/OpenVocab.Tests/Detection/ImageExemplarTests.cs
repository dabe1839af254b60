using OpenCvSharp;
using OpenVocab.Detection;

namespace OpenVocab.Tests.Detection;

/// <summary>Exemplar images are checked when they are made: a bad one never reaches a class set.</summary>
public class ImageExemplarTests
{
    private static string Crop => Path.Combine(ShapesExemplars.Directory, "red_star_0.jpg");

    [Fact]
    public void A_file_that_is_not_an_image_is_refused_with_its_name()
    {
        using var dir = new TempDir();
        var file = dir.File("notes.png");
        File.WriteAllText(file, "this is not an image");
        var e = Assert.Throws<ImageDecodeException>(() => ImageExemplar.FromFile(file));
        Assert.Contains("notes.png", e.Message, StringComparison.Ordinal);
        Assert.Contains("not a decodable image", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ImageDecodeException>(() => ImageExemplar.FromFile(dir.File("missing.png")));
        Assert.Contains("missing.png", e.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_exemplars_are_refused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("empty.jpg"), []);
        var e = Assert.Throws<ArgumentException>(() => ImageExemplar.FromFile(dir.File("empty.jpg")));
        Assert.Contains("empty.jpg", e.Message, StringComparison.Ordinal);
        Assert.Contains("empty (0 bytes)", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => ImageExemplar.FromBytes([], "upload"));
        Assert.Contains("'upload' is empty", e.Message, StringComparison.Ordinal);

        using var none = new Mat();
        Assert.Throws<ArgumentException>(() => ImageExemplar.FromImage(none));
    }

    [Fact]
    public void Too_large_exemplars_are_refused_by_bytes_and_by_pixels()
    {
        var big = new byte[ImageExemplar.MaxBytes + 1];
        var e = Assert.Throws<ArgumentException>(() => ImageExemplar.FromBytes(big, "huge.jpg"));
        Assert.Contains("16,777,217 bytes", e.Message, StringComparison.Ordinal);
        Assert.Contains("at most 16,777,216", e.Message, StringComparison.Ordinal);

        // A flat 4100x4100 PNG is a few kilobytes but more pixels than an exemplar may have.
        using var wide = new Mat(4100, 4100, MatType.CV_8UC3, Scalar.All(90));
        var png = wide.ImEncode(".png");
        Assert.True(png.Length < ImageExemplar.MaxBytes);
        e = Assert.Throws<ArgumentException>(() => ImageExemplar.FromBytes(png, "wide.png"));
        Assert.Contains("4100x4100 pixels", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => ImageExemplar.FromImage(wide, "wide"));
        Assert.Contains("4100x4100 pixels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_content_hash_depends_on_the_bytes_not_the_name()
    {
        var bytes = File.ReadAllBytes(Crop);
        var fromFile = ImageExemplar.FromFile(Crop);
        var fromBytes = ImageExemplar.FromBytes(bytes, "upload.jpg");
        Assert.Equal(fromFile.ContentHash, fromBytes.ContentHash);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), fromFile.ContentHash);
        Assert.Equal(64, fromFile.ContentHash.Length);

        bytes[^3] ^= 1;
        Assert.NotEqual(fromFile.ContentHash, ImageExemplar.FromBytes(bytes).ContentHash);

        using var image = Cv2.ImRead(Crop);
        var fromImage = ImageExemplar.FromImage(image, "mat");
        Assert.Equal((image.Width, image.Height), (fromImage.Width, fromImage.Height));
        Assert.Equal(fromImage.ContentHash, ImageExemplar.FromImage(image.Clone(), "copy").ContentHash);
    }

    [Fact]
    public void Class_prompts_keep_their_own_copy_of_the_exemplars()
    {
        var list = new List<ImageExemplar> { ImageExemplar.FromFile(Crop) };
        var prompt = ClassPrompt.FromExemplars("red star", list);
        list.Clear();
        Assert.Single(prompt.Exemplars);
        Assert.Empty(prompt.Prompts);
        Assert.Throws<ArgumentException>(() => ClassPrompt.FromExemplars("red star"));
        Assert.Throws<ArgumentException>(() => new ClassPrompt("x") { Exemplars = [null!] });
    }
}
