using Orleans.Placement;

namespace OpenVocab.Cluster.Placement;

/// <summary>Marks a grain class to be placed by <see cref="CapacityPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class CapacityPlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public CapacityPlacementAttribute()
        : base(CapacityPlacement.Instance)
    {
    }
}
