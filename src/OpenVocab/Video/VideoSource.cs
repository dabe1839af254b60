using System.Globalization;

namespace OpenVocab.Video;

/// <summary>Opens a frame source from a spec string, the way the CLI takes it.</summary>
public static class VideoSource
{
    /// <summary>
    /// Opens <paramref name="spec"/>: a camera index ("0"), a stream URL (one of <see cref="StreamFrameSource.Schemes"/>,
    /// through a child ffmpeg), a folder of images or a glob ("frames/*.png"), or a video file.
    /// The caller owns (and disposes) the source.
    /// </summary>
    /// <param name="spec">What to open.</param>
    /// <param name="stream">Settings for stream URLs; defaults when null.</param>
    /// <param name="imageFps">Frame rate for image-folder timestamps; 0 for none.</param>
    /// <exception cref="VideoSourceException">The source could not be opened; the message says why.</exception>
    public static IFrameSource Open(string spec, StreamSourceOptions? stream = null, double imageFps = 0)
    {
        var kind = KindOf(spec);
        return kind switch
        {
            VideoSourceKind.Camera => CaptureFrameSource.OpenCamera(int.Parse(spec, NumberStyles.None, CultureInfo.InvariantCulture)),
            VideoSourceKind.Stream => StreamFrameSource.Open(spec, stream),
            VideoSourceKind.ImageFolder => ImageFolderFrameSource.Open(LocalPath(spec), imageFps),
            _ => CaptureFrameSource.OpenFile(LocalPath(spec)),
        };
    }

    /// <summary>
    /// What <see cref="Open"/> would open for <paramref name="spec"/>, without opening it (a configuration can be checked
    /// before any camera starts). A path that does not exist yet is taken as a video file.
    /// </summary>
    /// <exception cref="VideoSourceException">A URL scheme OpenVocab cannot read; the message lists those it can.</exception>
    public static VideoSourceKind KindOf(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        if (int.TryParse(spec, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return VideoSourceKind.Camera;
        }

        if (StreamFrameSource.IsStreamUrl(spec))
        {
            return VideoSourceKind.Stream;
        }

        if (!spec.StartsWith("file://", StringComparison.OrdinalIgnoreCase) && spec.Contains("://", StringComparison.Ordinal))
        {
            throw new VideoSourceException($"'{spec}' uses a URL scheme OpenVocab cannot read; streams may be {string.Join(", ", StreamFrameSource.Schemes)}.");
        }

        var path = LocalPath(spec);
        return Directory.Exists(path) || ImageFolderFrameSource.IsGlob(path) ? VideoSourceKind.ImageFolder : VideoSourceKind.File;
    }

    private static string LocalPath(string spec) =>
        spec.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(spec).LocalPath : spec;
}
