namespace OpenVocab.Detection;

/// <summary>One detected object.</summary>
/// <param name="Box">Box in source-image pixels (or network-input pixels when decoded without a transform).</param>
/// <param name="Score">Class score in 0..1.</param>
/// <param name="ClassIndex">Index of the class (prompt) in the list the detector was given.</param>
/// <param name="Label">The class name or prompt; the caller's string, not a copy.</param>
public readonly record struct DetectedObject(BoundingBox Box, float Score, int ClassIndex, string Label)
{
    /// <summary>
    /// The id of the confirmed track this detection belongs to, set by <see cref="Tracking.ByteTracker.Update"/>;
    /// null when the detection is not tracked (tracking off, or no confirmed track took it).
    /// </summary>
    public int? TrackId { get; init; }

    /// <summary>
    /// The attribute the box was classified as, when the class set has attributes for this class
    /// (<see cref="PromptSet.Attributes"/>); null otherwise.
    /// </summary>
    public AttributeResult? Attribute { get; init; }
}
