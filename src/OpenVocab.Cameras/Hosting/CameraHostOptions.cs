using OpenVocab.Video;

namespace OpenVocab.Cameras.Hosting;

/// <summary>Settings of a <see cref="CameraHost"/>. Immutable; values are validated when set.</summary>
public sealed record CameraHostOptions
{
    private readonly int _maxBatch = 8;
    private readonly TimeSpan _restartDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// On: frames of different cameras that are ready at the same moment go through the detector together, on one
    /// worker thread, one run per class set (<see cref="OpenVocab.Detection.Detector.DetectBatch"/>). Off (default):
    /// each camera calls the shared detector from its own detection thread. On a CPU, off measured faster: 8 cameras
    /// on 2 cores reached 0.96 of the detector-bound rate against 0.90 with batching (docs/cameras.md, "Numbers");
    /// batching is for accelerators, which gain from batches.
    /// </summary>
    public bool Batching { get; init; }

    /// <summary>Most frames in one batch. Default 8.</summary>
    public int MaxBatch
    {
        get => _maxBatch;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxBatch));
            _maxBatch = value;
        }
    }

    /// <summary>
    /// The name of the machine (a cluster silo) that runs this host, written as <c>silo</c> into every event and counts
    /// document so that a receiver can tell which machine ran a camera when; null (default) leaves the field out.
    /// </summary>
    public string? Silo { get; init; }

    /// <summary>Settings for stream sources (timeouts, ffmpeg path).</summary>
    public StreamSourceOptions Stream { get; init; } = new();

    /// <summary>Reopening a failed source inside one run; when it gives up, the camera waits <see cref="RestartDelay"/> and starts over, for ever.</summary>
    public ReconnectPolicy Reconnect { get; init; } = ReconnectPolicy.Default;

    /// <summary>Wait before a camera whose source could not be opened (or whose run failed) starts again; doubles up to 30 s. Default 1 s.</summary>
    public TimeSpan RestartDelay
    {
        get => _restartDelay;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(RestartDelay));
            _restartDelay = value;
        }
    }
}
