using OpenVocab.Detection;
using OpenVocab.Tracking;

namespace OpenVocab.Video;

/// <summary>Settings for <see cref="VideoDetector"/>. Immutable; values are validated when set.</summary>
public sealed record VideoDetectorOptions
{
    private readonly int _stride = 1;
    private readonly long? _maxFrames;
    private readonly int _queueCapacity = 4;

    /// <summary>Detection thresholds; ultralytics' predict defaults when null.</summary>
    public DetectionOptions? Detection { get; init; }

    /// <summary>Frame flow; <see cref="VideoMode.Auto"/> picks by <see cref="IFrameSource.IsLive"/>.</summary>
    public VideoMode Mode { get; init; } = VideoMode.Auto;

    /// <summary>Detect every Nth frame the source delivers (1 = all). The others are read and counted, not detected.</summary>
    public int Stride
    {
        get => _stride;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Stride));
            _stride = value;
        }
    }

    /// <summary>Stop after reading this many frames from the source; null for no limit.</summary>
    public long? MaxFrames
    {
        get => _maxFrames;
        init
        {
            if (value is < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxFrames), value, "MaxFrames must be at least 1 (or null).");
            }

            _maxFrames = value;
        }
    }

    /// <summary>Tracking settings; null (default) turns tracking off.</summary>
    public TrackerOptions? Tracking { get; init; }

    /// <summary>What to do when a source fails. Default <see cref="ReconnectPolicy.Default"/>.</summary>
    public ReconnectPolicy Reconnect { get; init; } = ReconnectPolicy.Default;

    /// <summary>Frames that may wait between two stages in every-frame mode (bounds memory). Default 4.</summary>
    public int QueueCapacity
    {
        get => _queueCapacity;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(QueueCapacity));
            _queueCapacity = value;
        }
    }

    /// <summary>Outputs fed with each processed frame, in order, before its result is yielded. Not owned by the pipeline.</summary>
    public IReadOnlyList<IFrameSink> Sinks { get; init; } = [];
}
