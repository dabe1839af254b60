using OpenVocab.Detection;
using OpenVocab.Tracking;

namespace OpenVocab.Video;

/// <summary>How frames flow through the pipeline.</summary>
public enum VideoMode
{
    /// <summary><see cref="Live"/> for live sources (cameras, streams), <see cref="EveryFrame"/> otherwise.</summary>
    Auto,

    /// <summary>Every frame (after the stride) is detected, in order; the source waits for detection. For files.</summary>
    EveryFrame,

    /// <summary>Detection always takes the newest frame; older waiting frames are dropped and counted. For cameras and streams.</summary>
    Live,
}

/// <summary>Backoff for reopening a source that failed (a stream lost, a live source that ended). Immutable.</summary>
public sealed record ReconnectPolicy
{
    private readonly int _maxAttempts = 10;
    private readonly TimeSpan _initialDelay = TimeSpan.FromMilliseconds(500);
    private readonly TimeSpan _maxDelay = TimeSpan.FromSeconds(10);
    private readonly double _multiplier = 2;

    /// <summary>10 attempts per failure, from 0.5 s doubling up to 10 s.</summary>
    public static ReconnectPolicy Default { get; } = new();

    /// <summary>No reconnecting: a failure ends the run with its error.</summary>
    public static ReconnectPolicy None { get; } = new() { MaxAttempts = 0 };

    /// <summary>Attempts after each failure before the run fails (0 = never reconnect). Default 10.</summary>
    public int MaxAttempts
    {
        get => _maxAttempts;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(MaxAttempts));
            _maxAttempts = value;
        }
    }

    /// <summary>Wait before the first attempt. Default 0.5 s.</summary>
    public TimeSpan InitialDelay
    {
        get => _initialDelay;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(InitialDelay));
            _initialDelay = value;
        }
    }

    /// <summary>Longest wait between attempts. Default 10 s.</summary>
    public TimeSpan MaxDelay
    {
        get => _maxDelay;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(MaxDelay));
            _maxDelay = value;
        }
    }

    /// <summary>Factor by which the wait grows per attempt (at least 1). Default 2.</summary>
    public double Multiplier
    {
        get => _multiplier;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Multiplier));
            _multiplier = value;
        }
    }

    /// <summary>The wait before attempt <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan DelayFor(int attempt)
    {
        var ms = InitialDelay.TotalMilliseconds * Math.Pow(Multiplier, Math.Max(attempt - 1, 0));
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxDelay.TotalMilliseconds));
    }
}

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
