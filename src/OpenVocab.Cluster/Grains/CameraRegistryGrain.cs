using OpenVocab.Cluster.Hosting;

namespace OpenVocab.Cluster.Grains;

/// <summary>The registry of configured camera names (see <see cref="ICameraRegistryGrain"/>). Orleans runs one call at a time.</summary>
[GrainType("openvocab-camera-registry")]
internal sealed class CameraRegistryGrain([PersistentState("registry", CameraSilo.StorageName)] IPersistentState<CameraRegistryState> state)
    : Grain, ICameraRegistryGrain
{
    public async Task AddAsync(string camera)
    {
        if (state.State.Cameras.Add(camera))
        {
            await Save(() => state.State.Cameras.Remove(camera)).ConfigureAwait(true);
        }
    }

    public async Task RemoveAsync(string camera)
    {
        if (state.State.Cameras.Remove(camera))
        {
            await Save(() => state.State.Cameras.Add(camera)).ConfigureAwait(true);
        }
    }

    public Task<string[]> ListAsync() => Task.FromResult(state.State.Cameras.Order(StringComparer.Ordinal).ToArray());

    /// <summary>Writes the state; when that fails the in-memory change is undone so memory and Redis agree.</summary>
    private async Task Save(Action undo)
    {
        try
        {
            await state.WriteStateAsync().ConfigureAwait(true);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            undo();
            throw CameraGrain.StorageFailed("the camera registry", e);
        }
    }
}
