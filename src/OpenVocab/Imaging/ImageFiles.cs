using System.Collections.ObjectModel;

namespace OpenVocab.Imaging;

/// <summary>
/// Which files count as images where a folder is read as a set of images: the search index and image-folder video
/// sources. Immutable and thread-safe.
/// </summary>
public static class ImageFiles
{
    /// <summary>
    /// File extensions with the dot, compared case-insensitively: the still-image formats the bundled OpenCV reads
    /// (JPEG, PNG, BMP, WebP, TIFF and GIF). Enumerates in that order.
    /// </summary>
    public static IReadOnlySet<string> Extensions { get; } = new ReadOnlySet<string>(
        new HashSet<string>([".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"], StringComparer.OrdinalIgnoreCase));

    /// <summary>Whether <paramref name="path"/> ends in one of <see cref="Extensions"/>; the file itself is not opened.</summary>
    public static bool HasImageExtension(string path) => Extensions.Contains(Path.GetExtension(path));
}
