using OpenVocab.Imaging;
using OpenVocab.Search;
using OpenVocab.Video;

namespace OpenVocab.Tests.Imaging;

public class ImageFilesTests
{
    [Theory]
    [InlineData("a.jpg", true)]
    [InlineData("dir.d/A.JPEG", true)]
    [InlineData("scan.Tiff", true)]
    [InlineData("anim.gif", true)]
    [InlineData("notes.txt", false)]
    [InlineData("jpg", false)]
    [InlineData("archive.jpg.gz", false)]
    public void Extensions_match_case_insensitively_by_the_last_dot(string path, bool image) =>
        Assert.Equal(image, ImageFiles.HasImageExtension(path));

    [Fact]
    public void The_index_and_image_folders_use_the_one_list()
    {
        Assert.Same(ImageFiles.Extensions, ImageIndexBuildOptions.ImageExtensions);

        // An image folder takes an upper-case extension and says which extensions it looked for when it finds none.
        using var dir = new TempDir();
        File.WriteAllText(dir.File("notes.txt"), "not an image");
        var e = Assert.Throws<VideoSourceException>(() => ImageFolderFrameSource.Open(dir.Path));
        Assert.Contains(string.Join(", ", ImageFiles.Extensions), e.Message, StringComparison.Ordinal);
        File.Copy(Path.Combine(TestPaths.Samples, "shapes_1.jpg"), dir.File("FRAME.JPG"));
        using var source = ImageFolderFrameSource.Open(dir.Path);
        Assert.Equal((624, 468), (source.Width, source.Height));
    }
}
