using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Events;
using OpenVocab.Detection;

namespace OpenVocab.Cameras.Hosting;

/// <summary>
/// Runs many cameras on ONE shared <see cref="Detector"/>: each camera has its own source stage (reconnects, newest
/// frame for live sources), frames ready at the same moment are detected in one batch per class set, and each
/// camera's analytics feed the event sinks. Cameras can be added, removed and re-classed while running; a camera that
/// fails is restarted with backoff and never holds up the others.
/// All members are thread-safe. The host does not own the detector or the sinks: dispose them after the host.
/// </summary>
public sealed partial class CameraHost : IAsyncDisposable
{
    private readonly Detector _detector;
    private readonly CameraHostOptions _options;
    private readonly IReadOnlyList<EventSink> _sinks;
    private readonly ILogger _logger;
    private readonly FrameBatcher _batcher;
    private readonly Dictionary<string, CameraRuntime> _cameras = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ClassSet> _classSets = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lock = new(1, 1);
    private bool _disposed;

    /// <summary>Creates a host with no cameras.</summary>
    /// <param name="detector">The shared detector (not owned).</param>
    /// <param name="sinks">Where every camera's events go (not owned).</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="logger">Where camera failures and reconnects are logged.</param>
    public CameraHost(Detector detector, IReadOnlyList<EventSink>? sinks = null, CameraHostOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        _detector = detector;
        _options = options ?? new CameraHostOptions();
        _sinks = sinks ?? [];
        _logger = logger ?? NullLogger.Instance;
        _batcher = new FrameBatcher(detector, _options.Batching, _options.MaxBatch);
    }

    /// <summary>The settings.</summary>
    public CameraHostOptions Options => _options;

    /// <summary>Every camera's status, in the order they were added.</summary>
    public IReadOnlyList<CameraStatus> Cameras
    {
        get
        {
            lock (_cameras)
            {
                return [.. _cameras.Values.Select(c => c.Status())];
            }
        }
    }

    /// <summary>Batches run, frames detected, detector calls, and mean detector milliseconds per frame so far.</summary>
    public (long Batches, long Frames, long Runs, double MsPerFrame) Batching => _batcher.Statistics;

    /// <summary>One camera's status, or null when there is none by that name.</summary>
    public CameraStatus? Find(string name)
    {
        lock (_cameras)
        {
            return _cameras.TryGetValue(name, out var c) ? c.Status() : null;
        }
    }

    /// <summary>Validates and starts a camera.</summary>
    /// <exception cref="CamerasConfigException">The camera is not valid, or one by that name exists; the message says which.</exception>
    public async Task<CameraStatus> AddAsync(CameraConfig camera)
    {
        ArgumentNullException.ThrowIfNull(camera);
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var errors = camera.Validate();
            if (errors.Count > 0)
            {
                throw new CamerasConfigException($"camera '{camera.Name}'", errors);
            }

            lock (_cameras)
            {
                if (_cameras.ContainsKey(camera.Name))
                {
                    throw new CamerasConfigException($"camera '{camera.Name}': name: a camera with this name is already running; expected a new name");
                }
            }

            var runtime = new CameraRuntime(camera, Classes(camera), _options, _batcher, _sinks, _logger);
            lock (_cameras)
            {
                _cameras.Add(camera.Name, runtime);
            }

            runtime.Start();
            LogAdded(_logger, camera.Name, camera.Source);
            return runtime.Status();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Stops and removes a camera; false when there is none by that name.</summary>
    public async Task<bool> RemoveAsync(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            CameraRuntime? runtime;
            lock (_cameras)
            {
                if (!_cameras.Remove(name, out runtime))
                {
                    return false;
                }
            }

            await runtime.StopAsync().ConfigureAwait(false);
            runtime.Dispose();
            LogRemoved(_logger, name);
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Changes a camera's classes (and thresholds) while it runs; the next frame to enter detection uses them.</summary>
    /// <exception cref="KeyNotFoundException">No camera by that name.</exception>
    /// <exception cref="CamerasConfigException">The classes are not valid.</exception>
    public async Task<CameraStatus> SetClassesAsync(string name, IReadOnlyList<ClassConfig> classes)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(classes);
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            CameraRuntime? runtime;
            lock (_cameras)
            {
                if (!_cameras.TryGetValue(name, out runtime))
                {
                    throw new KeyNotFoundException($"There is no camera '{name}'.");
                }
            }

            var config = runtime.Config with { Classes = classes };
            var errors = config.Validate();
            if (errors.Count > 0)
            {
                throw new CamerasConfigException($"camera '{name}'", errors);
            }

            runtime.SetClasses(config, Classes(config));
            return runtime.Status();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Stops every camera.</summary>
    public async ValueTask DisposeAsync()
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            List<CameraRuntime> all;
            lock (_cameras)
            {
                all = [.. _cameras.Values];
                _cameras.Clear();
            }

            await Task.WhenAll(all.Select(c => c.StopAsync())).ConfigureAwait(false);
            foreach (var c in all)
            {
                c.Dispose();
            }

            _batcher.Dispose();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The camera's classes, sharing one class set between cameras with the same prompts so that they batch together.</summary>
    private CameraClasses Classes(CameraConfig camera) => CameraClasses.Create(_detector, camera, prompts =>
    {
        var key = string.Join("\u0001", prompts.Select(p => p.Label + "\u0002" + string.Join("\u0003", p.Prompts)));
        lock (_classSets)
        {
            if (!_classSets.TryGetValue(key, out var set))
            {
                set = _detector.CreateClassSet(prompts);
                _classSets[key] = set;
            }

            return set;
        }
    });

    [LoggerMessage(EventId = 2401, Level = LogLevel.Information, Message = "Camera '{Camera}' added ({Source}).")]
    private static partial void LogAdded(ILogger logger, string camera, string source);

    [LoggerMessage(EventId = 2402, Level = LogLevel.Information, Message = "Camera '{Camera}' removed.")]
    private static partial void LogRemoved(ILogger logger, string camera);
}
