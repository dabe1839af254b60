using System.Text.RegularExpressions;
using OpenCvSharp;
using OpenVocab.Imaging;

namespace OpenVocab.Video;

/// <summary>
/// Images in a folder (or matching a glob such as <c>frames/*.jpg</c>) read as frames in ordinal name order.
/// Unreadable images are skipped and counted. Frames keep their own size; <see cref="Width"/>/<see cref="Height"/>
/// are those of the first readable image. Not thread-safe.
/// </summary>
public sealed class ImageFolderFrameSource : IFrameSource
{
    private readonly string[] _files;
    private int _next;

    private ImageFolderFrameSource(string name, string[] files, double fps)
    {
        Name = name;
        _files = files;
        Fps = fps;
        foreach (var file in files)
        {
            try
            {
                using var first = ImageLoader.Read(file);
                Width = first.Width;
                Height = first.Height;
                break;
            }
            catch (ImageDecodeException)
            {
                // Counted when Read reaches it.
            }
        }

        if (Width == 0)
        {
            throw new VideoSourceException($"None of the {files.Length} images in '{name}' could be decoded.");
        }
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int Width { get; }

    /// <inheritdoc/>
    public int Height { get; }

    /// <summary>The rate given when opening (timestamps are index / fps); 0 when none was given (timestamps are zero).</summary>
    public double Fps { get; }

    /// <summary>The number of image files (unreadable ones included).</summary>
    public long? FrameCount => _files.Length;

    /// <inheritdoc/>
    public bool IsLive => false;

    /// <inheritdoc/>
    public long FramesRead { get; private set; }

    /// <inheritdoc/>
    public long FramesSkipped { get; private set; }

    /// <summary>The image files, in the order they are read.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <summary>
    /// Opens a folder of images, or a glob whose last part has <c>*</c>/<c>?</c> (<c>dir/cam1_*.png</c>).
    /// </summary>
    /// <param name="folderOrGlob">The folder or pattern.</param>
    /// <param name="fps">Frame rate for timestamps; 0 for none.</param>
    /// <exception cref="VideoSourceException">The folder does not exist or holds no images.</exception>
    public static ImageFolderFrameSource Open(string folderOrGlob, double fps = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folderOrGlob);
        ArgumentOutOfRangeException.ThrowIfNegative(fps);
        string dir;
        Func<string, bool> match;
        if (Directory.Exists(folderOrGlob))
        {
            dir = folderOrGlob;
            match = ImageFiles.HasImageExtension;
        }
        else if (IsGlob(folderOrGlob))
        {
            dir = Path.GetDirectoryName(folderOrGlob) is { Length: > 0 } d ? d : ".";
            var regex = GlobRegex(Path.GetFileName(folderOrGlob));
            match = f => regex.IsMatch(Path.GetFileName(f));
            if (!Directory.Exists(dir))
            {
                throw new VideoSourceException($"The folder '{dir}' of pattern '{folderOrGlob}' does not exist.");
            }
        }
        else
        {
            throw new VideoSourceException($"'{folderOrGlob}' is neither a folder nor a file pattern.");
        }

        var files = Directory.EnumerateFiles(dir).Where(match).Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
        {
            throw new VideoSourceException($"'{folderOrGlob}' holds no images ({string.Join(", ", ImageFiles.Extensions)}).");
        }

        return new ImageFolderFrameSource(folderOrGlob, files, fps);
    }

    /// <summary>True when a path's file name has glob characters.</summary>
    internal static bool IsGlob(string path) => Path.GetFileName(path).AsSpan().IndexOfAny('*', '?') >= 0;

    /// <inheritdoc/>
    public bool Read(Mat destination, out FrameInfo frame)
    {
        ArgumentNullException.ThrowIfNull(destination);
        while (_next < _files.Length)
        {
            var index = _next++;
            try
            {
                using var image = ImageLoader.Read(_files[index]);
                image.CopyTo(destination);
            }
            catch (ImageDecodeException)
            {
                FramesSkipped++;
                continue;
            }

            FramesRead++;
            frame = new FrameInfo(index, Fps > 0 ? TimeSpan.FromSeconds(index / Fps) : TimeSpan.Zero);
            return true;
        }

        frame = default;
        return false;
    }

    /// <summary>Nothing to reopen: reading simply continues.</summary>
    public void Reopen() { }

    /// <inheritdoc/>
    public void Dispose() { }

    private static Regex GlobRegex(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.CultureInvariant | (OperatingSystem.IsWindows() ? RegexOptions.IgnoreCase : RegexOptions.None));
}
