using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenVocab.Cameras.Events;
using OpenVocab.Cameras.Hosting;
using OpenVocab.Detection;

namespace OpenVocab.Cluster.Hosting;

/// <summary>
/// The one camera host of a silo: its detector, loaded once when the silo starts and shared (batched, if asked) by
/// every camera grain the silo holds, and its event outputs, each event stamped with the silo's name. A participant
/// in the silo's lifecycle at the application-services stage: ready before any grain can activate, and stopped only
/// after every grain has been deactivated. The grains only add and remove cameras. Thread-safe.
/// </summary>
public sealed partial class SiloCameras : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private readonly CameraSiloOptions _options;
    private readonly ILogger _logger;
    private readonly List<EventSink> _sinks = [];
    private Detector? _detector;
    private CameraHost? _host;
    private LastEventSink? _last;

    /// <summary>Created by the silo's container.</summary>
    public SiloCameras(CameraSiloOptions options, IOptions<Orleans.Configuration.SiloOptions> silo, ILogger<SiloCameras> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(silo);
        _options = options;
        _logger = logger;
        SiloName = options.Name ?? silo.Value.SiloName;
    }

    /// <summary>The silo's name, as written in its events.</summary>
    public string SiloName { get; }

    /// <summary>The host; throws before the silo has started and after it stopped.</summary>
    public CameraHost Host => _host ?? throw new ObjectDisposedException(nameof(SiloCameras), $"Silo {SiloName} is not running cameras (starting or stopping).");

    /// <summary>The host while the silo runs cameras, else null.</summary>
    public CameraHost? Running => _host;

    /// <summary>When the camera's last event left this silo and its kind, or null.</summary>
    public (DateTimeOffset At, string Kind)? LastEvent(string camera) => _last?.Find(camera);

    /// <inheritdoc/>
    public void Participate(ISiloLifecycle observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        observer.Subscribe(nameof(SiloCameras), ServiceLifecycleStage.ApplicationServices, StartAsync, StopAsync);
    }

    /// <summary>Loads the detector and starts the event outputs; a pack or sink that fails stops the silo's start.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _detector = Detector.Load(_options.Model, _options.Inference, _logger);
        try
        {
            _options.Events.StartSinks(_sinks, _logger);
            _last = LastEventSink.Create();
            _sinks.Add(_last);
            _host = new CameraHost(_detector, _sinks, new CameraHostOptions { Silo = SiloName, Batching = _options.Batching }, _logger);
            LogReady(_logger, SiloName, _options.Capacity, _options.Model);
        }
        catch
        {
            DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }

        return Task.CompletedTask;
    }

    /// <summary>Stops every camera still here, then the outputs (they flush), then the detector.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    /// <summary>As <see cref="StopAsync"/>; idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        var host = Interlocked.Exchange(ref _host, null);
        if (host is not null)
        {
            await host.DisposeAsync().ConfigureAwait(false);
        }

        List<EventSink> sinks;
        lock (_sinks)
        {
            sinks = [.. _sinks];
            _sinks.Clear();
        }

        foreach (var sink in sinks)
        {
            await sink.DisposeAsync().ConfigureAwait(false);
        }

        Interlocked.Exchange(ref _detector, null)?.Dispose();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Silo {Silo} runs cameras: capacity {Capacity}, model {Model}.")]
    private static partial void LogReady(ILogger logger, string silo, int capacity, string model);
}
