namespace OpenVocab.Video;

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
