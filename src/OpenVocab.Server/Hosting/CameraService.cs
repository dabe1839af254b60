using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Events;
using OpenVocab.Cameras.Hosting;
using OpenVocab.Server.Api;

namespace OpenVocab.Server.Hosting;

/// <summary>
/// The server's <see cref="CameraHost"/>, on the one shared detector of <see cref="ModelHost"/>. It is always there,
/// with zero cameras until <c>/v1/cameras</c> adds some, and is created when first needed once the models are
/// loaded. With <see cref="ServerOptions.Cameras"/> set, the file is read and checked when the server starts (a bad
/// file stops the start), its cameras start once the models are loaded, and its jsonl/mqtt/webhook sinks receive the
/// events of every camera, including those added later. Stopped before the models are disposed: hosted services stop
/// in the reverse order of registration, and this one is registered after <see cref="ModelHost"/>.
/// It is the server's <see cref="ICameraControl"/> unless the server fronts a cluster (then another implementation
/// is given to <see cref="OpenVocabServer.Build"/>). Thread-safe.
/// </summary>
internal sealed partial class CameraService(ModelHost models, IOptions<ServerOptions> options, ILogger<CameraService> logger) : IHostedService, IAsyncDisposable, ICameraControl
{
    private readonly Lock _gate = new();
    private readonly List<EventSink> _sinks = [];
    private CameraHost? _host;
    private CamerasConfig? _file;
    private Task _starting = Task.CompletedTask;
    private bool _stopped;

    /// <summary>The host; throws <see cref="ModelsNotReadyException"/> (503) while the models load, 422 when the pack has no detector.</summary>
    public CameraHost Host
    {
        get
        {
            var detector = models.Current.Detector
                ?? throw new ApiProblemException(422, "name", "This server's model pack has no detector; cameras need one.");
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_stopped, this);
                if (_host is null)
                {
                    if (_file is not null)
                    {
                        _file.StartSinks(_sinks, logger);
                    }

                    _host = new CameraHost(detector, _sinks, new CameraHostOptions(), logger);
                }

                return _host;
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Cameras is { Length: > 0 } path)
        {
            _file = CamerasConfigReader.Load(path);
            _starting = StartFileCamerasAsync(_file.Cameras);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public Task<IReadOnlyList<CameraStatus>> ListAsync() => Task.FromResult(Host.Cameras);

    public Task<CameraStatus?> FindAsync(string name) => Task.FromResult(Host.Find(name));

    public async Task<(CameraStatus Camera, bool Replaced)> PutAsync(string name, string definition)
    {
        var host = Host;
        var camera = CamerasConfigReader.ParseCamera(definition, name, "camera definition");

        // The definition is valid (ParseCamera checked it), so the old camera is removed only for one that will start.
        var replaced = await host.RemoveAsync(name).ConfigureAwait(false);
        return (await host.AddAsync(camera).ConfigureAwait(false), replaced);
    }

    public async Task<CameraStatus?> SetClassesAsync(string name, IReadOnlyList<ClassConfig> classes)
    {
        try
        {
            return await Host.SetClassesAsync(name, classes).ConfigureAwait(false);
        }
        catch (KeyNotFoundException)
        {
            return null;
        }
    }

    public Task<bool> RemoveAsync(string name) => Host.RemoveAsync(name);

    /// <summary>Stops every camera, then the sinks; once stopped, <see cref="Host"/> throws. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        await _starting.ConfigureAwait(false);
        CameraHost? host;
        List<EventSink> sinks;
        lock (_gate)
        {
            _stopped = true;
            host = _host;
            _host = null;
            sinks = [.. _sinks];
            _sinks.Clear();
        }

        // The host first: it stops feeding the sinks, then the sinks flush what they hold.
        if (host is not null)
        {
            await host.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var sink in sinks)
        {
            await sink.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task StartFileCamerasAsync(IReadOnlyList<CameraConfig> cameras)
    {
        await models.Loaded.ConfigureAwait(false);
        if (!models.Ready)
        {
            return; // /readyz reports why; the cameras cannot run without models
        }

        try
        {
            var host = Host;
            foreach (var camera in cameras)
            {
                await host.AddAsync(camera).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OpenVocabException or ApiProblemException or ObjectDisposedException)
        {
            LogFileCamerasFailed(logger, e, options.Value.Cameras!);
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Error, Message = "The cameras of {File} could not all be started")]
    private static partial void LogFileCamerasFailed(ILogger logger, Exception exception, string file);
}
