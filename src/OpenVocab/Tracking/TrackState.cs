namespace OpenVocab.Tracking;

/// <summary>Where a track is in its life.</summary>
public enum TrackState
{
    /// <summary>Seen once; gets its id reported when seen again in the next frame.</summary>
    Tentative,

    /// <summary>Matched in the latest frame.</summary>
    Tracked,

    /// <summary>Not matched lately; kept for <see cref="TrackerOptions.MaxAge"/> frames so it can be found again.</summary>
    Lost,
}
