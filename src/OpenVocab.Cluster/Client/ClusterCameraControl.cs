using System.Text.Json;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Hosting;
using OpenVocab.Cluster.Grains;

namespace OpenVocab.Cluster.Client;

/// <summary>
/// The cluster as an <see cref="ICameraControl"/>, so that the server's <c>/v1/cameras</c> routes work against it
/// unchanged (<c>openvocab serve --cluster HOST:PORT</c>). Maps the grains' errors onto the control's: an invalid
/// definition is a <see cref="CamerasConfigException"/>, an unknown camera null or false, a cluster that cannot take the
/// change now a <see cref="CameraControlUnavailableException"/>. Thread-safe; does not own the client.
/// </summary>
public sealed class ClusterCameraControl(CameraClusterClient client) : ICameraControl
{
    /// <inheritdoc/>
    public async Task<IReadOnlyList<CameraStatus>> ListAsync() => [.. (await client.ListAsync().ConfigureAwait(false)).Select(Status)];

    /// <inheritdoc/>
    public async Task<CameraStatus?> FindAsync(string name)
    {
        try
        {
            return Status(await client.GetAsync(name).ConfigureAwait(false));
        }
        catch (KeyNotFoundException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public async Task<(CameraStatus Camera, bool Replaced)> PutAsync(string name, string definition)
    {
        var existed = await FindAsync(name).ConfigureAwait(false) is not null;
        return (Status(await Map(() => client.AddAsync(name, definition)).ConfigureAwait(false)), existed);
    }

    /// <inheritdoc/>
    public async Task<CameraStatus?> SetClassesAsync(string name, IReadOnlyList<ClassConfig> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        // The classes as the file's list form (JSON is YAML's flow style), which the grain reads back with the file's reader.
        var text = JsonSerializer.Serialize(classes.Select(c => new Dictionary<string, object?>
        {
            ["name"] = c.Name,
            ["threshold"] = c.Threshold,
            ["prompts"] = c.Prompts,
        }.Where(kv => kv.Value is not null).ToDictionary()));
        try
        {
            return Status(await Map(() => client.SetClassesAsync(name, text)).ConfigureAwait(false));
        }
        catch (KeyNotFoundException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public Task<bool> RemoveAsync(string name) => Map(() => client.RemoveAsync(name));

    private static async Task<T> Map<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw e.InnerException as CamerasConfigException ?? new CamerasConfigException(e.Message);
        }
        catch (InvalidOperationException e)
        {
            throw new CameraControlUnavailableException(e.Message, e);
        }
    }

    private static CameraStatus Status(CameraInfo c) => new(
        c.Name, c.Source, Enum.TryParse<CameraState>(c.State, ignoreCase: true, out var state) ? state : CameraState.Stopped, c.Width, c.Height,
        c.FramesRead, c.FramesProcessed, c.FramesDropped, c.Reconnects, c.Events, c.Fps, c.Classes, c.LastError)
    {
        Silo = c.Silo,
    };
}
