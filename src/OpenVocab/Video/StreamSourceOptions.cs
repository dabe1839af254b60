namespace OpenVocab.Video;

/// <summary>Settings for <see cref="StreamFrameSource"/>. Immutable.</summary>
public sealed record StreamSourceOptions
{
    /// <summary>The ffmpeg executable (the Debian package <c>ffmpeg</c>). Default "ffmpeg" from PATH.</summary>
    public string FfmpegPath { get; init; } = "ffmpeg";

    /// <summary>Frame width to scale to; with <see cref="Height"/>. Null takes the stream's own size.</summary>
    public int? Width { get; init; }

    /// <summary>Frame height to scale to; with <see cref="Width"/>. Null takes the stream's own size.</summary>
    public int? Height { get; init; }

    /// <summary>How long opening may take until the first frame's size is known. Default 10 s.</summary>
    public TimeSpan OpenTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The watchdog kills ffmpeg when no frame data has come for this long (rtsp alone would wait about 4x its own
    /// timeout, udp forever). Also passed to ffmpeg as its socket timeout. Default 5 s.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>RTSP transport, "tcp" (default) or "udp".</summary>
    public string RtspTransport { get; init; } = "tcp";

    /// <summary>Small probe (first frame in under a second instead of 4-5 s). Default true.</summary>
    public bool FastProbe { get; init; } = true;
}
