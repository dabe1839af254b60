using OpenVocab.Cameras.Configuration;

namespace OpenVocab.Cameras.Hosting;

/// <summary>
/// The cameras a control plane (the server's <c>/v1/cameras</c>) manages, wherever they run: on this machine's
/// <see cref="CameraHost"/>, or spread over a cluster (OpenVocab.Cluster). Definitions travel as text in the cameras
/// file's format, so every implementation checks them with <see cref="CamerasConfigReader"/> and its messages.
/// Implementations are thread-safe.
/// </summary>
public interface ICameraControl
{
    /// <summary>Every camera's status, by name.</summary>
    Task<IReadOnlyList<CameraStatus>> ListAsync();

    /// <summary>One camera's status, or null when there is none by that name.</summary>
    Task<CameraStatus?> FindAsync(string name);

    /// <summary>Starts a camera, or replaces the one by that name, from a definition shaped as an entry of a cameras file.</summary>
    /// <returns>Its status, and whether a camera by that name was replaced.</returns>
    /// <exception cref="CamerasConfigException">The definition is not valid; the message lists every problem.</exception>
    Task<(CameraStatus Camera, bool Replaced)> PutAsync(string name, string definition);

    /// <summary>Changes a camera's classes; null when there is no camera by that name.</summary>
    /// <exception cref="CamerasConfigException">The classes are not valid.</exception>
    Task<CameraStatus?> SetClassesAsync(string name, IReadOnlyList<ClassConfig> classes);

    /// <summary>Stops and removes a camera; false when there is none by that name.</summary>
    Task<bool> RemoveAsync(string name);
}
