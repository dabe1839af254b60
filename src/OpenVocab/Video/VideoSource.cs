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
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        if (int.TryParse(spec, NumberStyles.None, CultureInfo.InvariantCulture, out var camera))
        {
            return CaptureFrameSource.OpenCamera(camera);
        }

        if (StreamFrameSource.IsStreamUrl(spec))
        {
            return StreamFrameSource.Open(spec, stream);
        }

        if (spec.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            spec = new Uri(spec).LocalPath;
        }
        else if (spec.Contains("://", StringComparison.Ordinal))
        {
            throw new VideoSourceException($"'{spec}' uses a URL scheme OpenVocab cannot read; streams may be {string.Join(", ", StreamFrameSource.Schemes)}.");
        }

        if (Directory.Exists(spec) || ImageFolderFrameSource.IsGlob(spec))
        {
            return ImageFolderFrameSource.Open(spec, imageFps);
        }

        return CaptureFrameSource.OpenFile(spec);
    }
}
