namespace OpenVocab.Cluster.Grains;

/// <summary>What the registry grain persists: the configured camera names.</summary>
[GenerateSerializer, Alias("openvocab.CameraRegistryState")]
public sealed class CameraRegistryState
{
    /// <summary>The names.</summary>
    [Id(0)] public HashSet<string> Cameras { get; set; } = new(StringComparer.Ordinal);
}
