namespace OpenVocab.Cluster.Grains;

/// <summary>
/// The names of every configured camera, in persistent grain state: what <c>status</c> and the list routes read, and
/// what the room check counts. One grain for the cluster, keyed <see cref="Key"/>. Only camera grains change it.
/// </summary>
[Alias("openvocab.ICameraRegistryGrain")]
public interface ICameraRegistryGrain : IGrainWithStringKey
{
    /// <summary>The one key of the registry grain.</summary>
    public const string Key = "cameras";

    /// <summary>Adds a name (idempotent).</summary>
    [Alias("Add")]
    Task AddAsync(string camera);

    /// <summary>Removes a name (idempotent).</summary>
    [Alias("Remove")]
    Task RemoveAsync(string camera);

    /// <summary>Every configured camera, sorted by name.</summary>
    [Alias("List")]
    Task<string[]> ListAsync();
}
