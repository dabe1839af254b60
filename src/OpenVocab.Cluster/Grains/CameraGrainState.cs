namespace OpenVocab.Cluster.Grains;

/// <summary>
/// What a camera grain persists: its definition as the text it was given (the cameras file's own format), so that
/// the definition read back is checked by the same reader, with the same messages, on whichever silo runs it.
/// </summary>
[GenerateSerializer, Alias("openvocab.CameraGrainState")]
public sealed class CameraGrainState
{
    /// <summary>The definition, or null for a camera that is not (or no longer) configured.</summary>
    [Id(0)] public string? Definition { get; set; }
}
