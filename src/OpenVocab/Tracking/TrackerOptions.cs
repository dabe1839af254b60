namespace OpenVocab.Tracking;

/// <summary>
/// ByteTrack settings. Immutable; values are validated when set. Defaults follow ultralytics' <c>bytetrack.yaml</c>
/// except the first-pass threshold, raised to 0.5 as in the ByteTrack paper.
/// </summary>
public sealed record TrackerOptions
{
    private readonly double _high = 0.5;
    private readonly double _low = 0.1;
    private readonly double _newTrack = 0.5;
    private readonly double _matchIoU = 0.2;
    private readonly double _secondMatchIoU = 0.5;
    private readonly int _maxAge = 30;

    /// <summary>Detections scoring at least this take part in the first association. Default 0.5.</summary>
    public double HighThreshold { get => _high; init => _high = Unit(value, nameof(HighThreshold)); }

    /// <summary>Detections scoring at least this (and below <see cref="HighThreshold"/>) may continue tracks in the second pass. Default 0.1.</summary>
    public double LowThreshold { get => _low; init => _low = Unit(value, nameof(LowThreshold)); }

    /// <summary>An unmatched detection starts a track when it scores at least this. Default 0.5.</summary>
    public double NewTrackThreshold { get => _newTrack; init => _newTrack = Unit(value, nameof(NewTrackThreshold)); }

    /// <summary>Least IoU between a track's predicted box and a high-score detection to match them. Default 0.2.</summary>
    public double MatchIoU { get => _matchIoU; init => _matchIoU = Unit(value, nameof(MatchIoU)); }

    /// <summary>Least IoU to match a remaining track with a low-score detection. Default 0.5.</summary>
    public double SecondMatchIoU { get => _secondMatchIoU; init => _secondMatchIoU = Unit(value, nameof(SecondMatchIoU)); }

    /// <summary>Frames a lost track is kept (and can be found again with its id) before it is dropped. Default 30.</summary>
    public int MaxAge
    {
        get => _maxAge;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(MaxAge));
            _maxAge = value;
        }
    }

    private static double Unit(double value, string name) => value is >= 0 and <= 1
        ? value
        : throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1].");
}
