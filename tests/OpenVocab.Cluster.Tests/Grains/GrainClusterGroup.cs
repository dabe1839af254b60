namespace OpenVocab.Cluster.Tests.Grains;

/// <summary>The test classes that share one <see cref="GrainCluster"/> (two silos, one Redis); they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class GrainClusterGroup : ICollectionFixture<GrainCluster>
{
    public const string Name = "grain cluster";
}
