namespace OpenVocab.Cluster.Placement;

/// <summary>
/// Places a camera on the live silo with the most room for one more, relative to each silo's capacity (see
/// <see cref="CapacityPlacementDirector"/>). Immutable; one instance serves every grain.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("openvocab.CapacityPlacement")]
public sealed class CapacityPlacement : PlacementStrategy
{
    /// <summary>The one instance.</summary>
    internal static CapacityPlacement Instance { get; } = new();
}
