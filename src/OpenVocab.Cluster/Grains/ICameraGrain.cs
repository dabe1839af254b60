namespace OpenVocab.Cluster.Grains;

/// <summary>
/// One camera of the cluster, keyed by its name. Its definition lives in persistent grain state (Redis); while the
/// grain is active the camera runs on the silo that holds it, and Orleans keeps at most one activation, so a camera
/// never runs on two silos at once. Calls are made through an Orleans client or from another grain.
/// </summary>
[Alias("openvocab.ICameraGrain")]
public interface ICameraGrain : IGrainWithStringKey
{
    /// <summary>Creates the camera, or replaces its definition, from text shaped as one entry of a cameras file's list (YAML or JSON).</summary>
    /// <exception cref="ArgumentException">The definition is not valid; the message lists every problem.</exception>
    /// <exception cref="InvalidOperationException">The cluster has no room for another camera, or the change could not be saved (Redis unreachable).</exception>
    [Alias("Define")]
    Task<CameraInfo> DefineAsync(string definition);

    /// <summary>Changes the camera's classes: the value of <c>classes</c> in the cameras file (a comma-separated string, or a YAML/JSON list).</summary>
    /// <exception cref="KeyNotFoundException">No camera by this name.</exception>
    /// <exception cref="ArgumentException">The classes are not valid.</exception>
    [Alias("SetClasses")]
    Task<CameraInfo> SetClassesAsync(string classes);

    /// <summary>Stops the camera and forgets it; false when there was none by this name.</summary>
    [Alias("Remove")]
    Task<bool> RemoveAsync();

    /// <summary>Where the camera runs and how it is doing.</summary>
    /// <exception cref="KeyNotFoundException">No camera by this name.</exception>
    [Alias("Status")]
    Task<CameraInfo> GetStatusAsync();

    /// <summary>Stops the camera here so that the next call places it again (used by rebalancing).</summary>
    [Alias("Move")]
    Task MoveAsync();
}
