namespace OpenVocab.Video;

/// <summary>The kinds of source <see cref="VideoSource.Open"/> reads.</summary>
public enum VideoSourceKind
{
    /// <summary>A video file (read through OpenCV's bundled FFmpeg).</summary>
    File,

    /// <summary>A folder of images or a glob.</summary>
    ImageFolder,

    /// <summary>A camera by index.</summary>
    Camera,

    /// <summary>A network stream URL, read through a child ffmpeg.</summary>
    Stream,
}
