using OpenVocab.Detection;

namespace OpenVocab.Tracking;

/// <summary>A snapshot of one track, made for the caller (the tracker never changes it afterwards).</summary>
/// <param name="Id">Persistent id, unique across labels within one tracker.</param>
/// <param name="Label">Class label the track follows (tracks never change label).</param>
/// <param name="Box">Kalman estimate of the box in the latest frame.</param>
/// <param name="Score">Score of the last matched detection.</param>
/// <param name="State">Life state.</param>
/// <param name="Hits">Frames in which it was matched.</param>
/// <param name="FramesSinceSeen">0 when matched in the latest frame.</param>
public sealed record Track(int Id, string Label, BoundingBox Box, float Score, TrackState State, int Hits, int FramesSinceSeen)
{
    /// <summary>
    /// The track's attribute vote when its detections carry attributes: per label the mean probability over the
    /// frames that had an attribute, best first; null otherwise. Tracked detections carry this vote too.
    /// </summary>
    public AttributeResult? Attribute { get; init; }
}
