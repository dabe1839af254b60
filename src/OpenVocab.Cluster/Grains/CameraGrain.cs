using Microsoft.Extensions.Logging;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cluster.Hosting;
using OpenVocab.Cluster.Placement;

namespace OpenVocab.Cluster.Grains;

/// <summary>
/// A camera of the cluster (see <see cref="ICameraGrain"/>). Activation starts the camera on this silo's one
/// <see cref="SiloCameras"/> host; deactivation stops it. A reminder per configured camera, Orleans' own durable
/// timer, is what brings a camera back after its silo is lost: a tick only has to reach the grain, and reaching it
/// activates it on a live silo, placed by <see cref="CapacityPlacement"/>. Kept alive while configured (no idle
/// collection). Orleans runs one call at a time per activation.
/// </summary>
[GrainType(TypeName), CapacityPlacement, KeepAlive]
internal sealed partial class CameraGrain(
    [PersistentState("camera", CameraSilo.StorageName)] IPersistentState<CameraGrainState> state,
    SiloCameras cameras,
    CameraSiloOptions options,
    ClusterLoad load,
    ILogger<CameraGrain> logger) : Grain, ICameraGrain, IRemindable
{
    /// <summary>The grain type name, which the placement counts activations by.</summary>
    public const string TypeName = "openvocab-camera";

    private const string ReminderName = "keep-running";

    private string Name => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Definition is { } definition)
        {
            try
            {
                await cameras.Host.AddAsync(Parse(definition)).ConfigureAwait(true);
                LogStarted(logger, Name, cameras.SiloName);
            }
            catch (Exception e) when (e is ArgumentException or CamerasConfigException or ObjectDisposedException)
            {
                // A definition that no longer starts (e.g. its file is missing on this machine) leaves the grain up
                // so that status can say why; the next reminder tick tries again.
                LogStartFailed(logger, e, Name);
            }
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Running is null once the silo has stopped its cameras (it stops them all itself).
        if (cameras.Running is { } host && await host.RemoveAsync(Name).ConfigureAwait(true))
        {
            LogStopped(logger, Name, cameras.SiloName, reason.Description);
        }
    }

    public async Task<CameraInfo> DefineAsync(string definition)
    {
        try
        {
            return await DefineCoreAsync(definition).ConfigureAwait(true);
        }
        finally
        {
            LeaveIfUndefined();
        }
    }

    private async Task<CameraInfo> DefineCoreAsync(string definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var camera = Parse(definition);
        var previous = state.State.Definition;
        if (previous is null)
        {
            await EnsureRoomAsync().ConfigureAwait(true);
        }

        state.State.Definition = definition;
        await SaveAsync(() => state.State.Definition = previous).ConfigureAwait(true);
        await GrainFactory.GetGrain<ICameraRegistryGrain>(ICameraRegistryGrain.Key).AddAsync(Name).ConfigureAwait(true);
        await this.RegisterOrUpdateReminder(ReminderName, options.ReminderPeriod, options.ReminderPeriod).ConfigureAwait(true);
        await cameras.Host.RemoveAsync(Name).ConfigureAwait(true);
        await cameras.Host.AddAsync(camera).ConfigureAwait(true);
        LogStarted(logger, Name, cameras.SiloName);
        return Info();
    }

    public async Task<CameraInfo> SetClassesAsync(string classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (state.State.Definition is not { } previous)
        {
            LeaveIfUndefined();
            throw Unknown();
        }

        string changed;
        try
        {
            changed = CameraDefinition.WithClasses(previous, classes, Name);
        }
        catch (CamerasConfigException e)
        {
            throw Invalid(e);
        }

        var camera = Parse(changed);
        state.State.Definition = changed;
        await SaveAsync(() => state.State.Definition = previous).ConfigureAwait(true);
        if (cameras.Host.Find(Name) is null)
        {
            await cameras.Host.AddAsync(camera).ConfigureAwait(true);
        }
        else
        {
            await cameras.Host.SetClassesAsync(Name, camera.Classes).ConfigureAwait(true);
        }

        return Info();
    }

    public async Task<bool> RemoveAsync()
    {
        if (state.State.Definition is not { } previous)
        {
            DeactivateOnIdle();
            return false;
        }

        state.State.Definition = null;
        await SaveAsync(() => state.State.Definition = previous).ConfigureAwait(true);
        await cameras.Host.RemoveAsync(Name).ConfigureAwait(true);
        await GrainFactory.GetGrain<ICameraRegistryGrain>(ICameraRegistryGrain.Key).RemoveAsync(Name).ConfigureAwait(true);
        await UnregisterReminderAsync().ConfigureAwait(true);
        DeactivateOnIdle();
        LogRemoved(logger, Name);
        return true;
    }

    public Task<CameraInfo> GetStatusAsync()
    {
        if (state.State.Definition is null)
        {
            LeaveIfUndefined();
            throw Unknown();
        }

        return Task.FromResult(Info());
    }

    public Task MoveAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State.Definition is not { } definition)
        {
            // A reminder left over from a removal that could not finish: nothing to keep running.
            await UnregisterReminderAsync().ConfigureAwait(true);
            DeactivateOnIdle();
            return;
        }

        if (cameras.Host.Find(Name) is null)
        {
            // Activation could not start it (see OnActivateAsync); try again on each tick.
            try
            {
                await cameras.Host.AddAsync(Parse(definition)).ConfigureAwait(true);
            }
            catch (Exception e) when (e is ArgumentException or CamerasConfigException)
            {
                LogStartFailed(logger, e, Name);
            }
        }
    }

    /// <summary>
    /// The error for a change that Redis did not take: says what failed and that nothing changed. Errors that cross to
    /// the caller carry messages only: the caller may not be able to load the cause's type.
    /// </summary>
    internal static InvalidOperationException StorageFailed(string what, Exception e)
    {
        // The storage provider's message runs to pages of client diagnostics, with the Redis client's own exception
        // written into its text; that exception's first clause says what happened.
        var cause = e.GetBaseException().Message.Split('\n', 2)[0];
        var at = cause.LastIndexOf("Exception: ", StringComparison.Ordinal);
        cause = (at >= 0 ? cause[(at + "Exception: ".Length)..] : cause).Split([" - ", ", "], 2, StringSplitOptions.None)[0].TrimEnd('.');
        return new($"The change to {what} could not be saved to the cluster's Redis, so nothing was changed ({cause}). Try again once Redis is reachable.");
    }

    /// <summary>An invalid definition or class change, as the caller sees it: the reader's message, every problem listed.</summary>
    private static ArgumentException Invalid(CamerasConfigException e) => new(e.Message);

    private CameraConfig Parse(string definition)
    {
        try
        {
            return CamerasConfigReader.ParseCamera(definition, Name, $"definition of camera '{Name}'");
        }
        catch (CamerasConfigException e)
        {
            throw Invalid(e);
        }
    }

    private async Task EnsureRoomAsync()
    {
        var configured = await GrainFactory.GetGrain<ICameraRegistryGrain>(ICameraRegistryGrain.Key).ListAsync().ConfigureAwait(true);
        var capacity = await load.TotalCapacityAsync().ConfigureAwait(true);
        if (configured.Length >= capacity.Cameras)
        {
            throw new InvalidOperationException(
                $"The cluster has no room for camera '{Name}': {configured.Length} cameras are configured and its {capacity.Silos} silo(s) take {capacity.Cameras} in all. Start another silo or raise --capacity.");
        }
    }

    private async Task SaveAsync(Action undo)
    {
        try
        {
            await state.WriteStateAsync().ConfigureAwait(true);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            undo();
            throw StorageFailed($"camera '{Name}'", e);
        }
    }

    private async Task UnregisterReminderAsync()
    {
        if (await this.GetReminder(ReminderName).ConfigureAwait(true) is { } reminder)
        {
            await this.UnregisterReminder(reminder).ConfigureAwait(true);
        }
    }

    /// <summary>
    /// A grain without a definition (a refused add, a call for an unknown name) must not stay active: it would be
    /// kept alive for ever and counted by placement as a camera.
    /// </summary>
    private void LeaveIfUndefined()
    {
        if (state.State.Definition is null)
        {
            DeactivateOnIdle();
        }
    }

    private KeyNotFoundException Unknown() => new($"There is no camera '{Name}' in the cluster; 'openvocab cluster add' defines one.");

    private CameraInfo Info()
    {
        var status = cameras.Host.Find(Name);
        var last = cameras.LastEvent(Name);
        return new CameraInfo
        {
            Name = Name,
            Silo = cameras.SiloName,
            Source = status?.Source ?? "",
            State = status?.State.ToString().ToLowerInvariant() ?? "stopped",
            Fps = status?.Fps ?? 0,
            FramesProcessed = status?.FramesProcessed ?? 0,
            Events = status?.Events ?? 0,
            LastEventAt = last?.At,
            LastEventKind = last?.Kind,
            Classes = status is null ? [] : [.. status.Classes],
            LastError = status?.LastError,
            Width = status?.Width ?? 0,
            Height = status?.Height ?? 0,
            FramesRead = status?.FramesRead ?? 0,
            FramesDropped = status?.FramesDropped ?? 0,
            Reconnects = status?.Reconnects ?? 0,
        };
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Camera '{Camera}' started on silo {Silo}.")]
    private static partial void LogStarted(ILogger logger, string camera, string silo);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Camera '{Camera}' stopped on silo {Silo} ({Reason}).")]
    private static partial void LogStopped(ILogger logger, string camera, string silo, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Camera '{Camera}' could not start here; the next reminder tick tries again.")]
    private static partial void LogStartFailed(ILogger logger, Exception exception, string camera);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "Camera '{Camera}' removed from the cluster.")]
    private static partial void LogRemoved(ILogger logger, string camera);
}
