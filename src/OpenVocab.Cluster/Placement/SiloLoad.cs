namespace OpenVocab.Cluster.Placement;

/// <summary>One silo's cameras against its capacity. Immutable.</summary>
/// <param name="Silo">The silo.</param>
/// <param name="Cameras">Camera activations on it (including ones placed there moments ago).</param>
/// <param name="Capacity">Cameras it takes, as it published at start.</param>
public sealed record SiloLoad(SiloAddress Silo, int Cameras, int Capacity)
{
    /// <summary>How full the silo would be with one more camera; placement picks the lowest.</summary>
    public double FillWithOneMore => (Cameras + 1) / (double)Capacity;

    /// <summary>How full it is.</summary>
    public double Fill => Cameras / (double)Capacity;
}
