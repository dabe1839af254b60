using Microsoft.Extensions.Logging;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Events;
using OpenVocab.Detection;
using OpenVocab.Video;

namespace OpenVocab.Cameras.Hosting;

/// <summary>
/// One camera in a host: its own source stage (the core's <see cref="VideoDetector"/>: capture thread, reconnects,
/// newest-frame in live mode, stride, tracking), detection through the shared <see cref="FrameBatcher"/>, and
/// analytics into events. Its loop never ends on a failure: it logs it and starts again with backoff, so a dead
/// camera only ever costs its own threads. Thread-safe for status, re-class and stop.
/// </summary>
internal sealed partial class CameraRuntime : IDisposable
{
    private readonly CameraHostOptions _host;
    private readonly FrameBatcher _batcher;
    private readonly IReadOnlyList<EventSink> _sinks;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _rateLock = new();
    private readonly Queue<(long Ticks, long Processed)> _rate = new();
    private CameraClasses _classes;
    private VideoDetector? _video;
    private Task? _loop;
    private volatile CameraState _state = CameraState.Starting;
    private volatile string? _lastError;
    private long _readBefore, _processedBefore, _droppedBefore, _reconnects, _events;
    private int _width, _height;

    public CameraRuntime(CameraConfig config, CameraClasses classes, CameraHostOptions host, FrameBatcher batcher, IReadOnlyList<EventSink> sinks, ILogger logger)
    {
        Config = config;
        _classes = classes;
        _host = host;
        _batcher = batcher;
        _sinks = sinks;
        _logger = logger;
    }

    public CameraConfig Config { get; private set; }

    public void Start() => _loop = Task.Factory.StartNew(RunLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _state = CameraState.Stopped;
    }

    public void Dispose() => _stop.Dispose();

    /// <summary>Takes effect from the next frame to enter detection; tracks and analytics carry on.</summary>
    public void SetClasses(CameraConfig config, CameraClasses classes)
    {
        Volatile.Write(ref _classes, classes);
        Config = config;
    }

    public CameraStatus Status()
    {
        var stats = _video?.Statistics;
        var processed = Interlocked.Read(ref _processedBefore) + (stats?.FramesProcessed ?? 0);
        double fps;
        lock (_rateLock)
        {
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            _rate.Enqueue((now, processed));
            while (_rate.Count > 2 && now - _rate.Peek().Ticks > 3 * System.Diagnostics.Stopwatch.Frequency)
            {
                _rate.Dequeue();
            }

            var first = _rate.Peek();
            var seconds = (now - first.Ticks) / (double)System.Diagnostics.Stopwatch.Frequency;
            fps = seconds > 0.2 ? (processed - first.Processed) / seconds : 0;
        }

        return new CameraStatus(Config.Name, Config.Source, _state, Volatile.Read(ref _width), Volatile.Read(ref _height),
            Interlocked.Read(ref _readBefore) + (stats?.FramesRead ?? 0), processed, Interlocked.Read(ref _droppedBefore) + (stats?.FramesDropped ?? 0),
            Interlocked.Read(ref _reconnects), Interlocked.Read(ref _events), fps, Volatile.Read(ref _classes).Labels, _lastError);
    }

    private async Task RunLoop()
    {
        var token = _stop.Token;
        var delay = _host.RestartDelay;
        while (!token.IsCancellationRequested)
        {
            IFrameSource source;
            _state = CameraState.Starting;
            try
            {
                source = Open();
            }
            catch (VideoSourceException e)
            {
                Failed(e.Message);
                Interlocked.Increment(ref _reconnects);
                if (!await Wait(delay, token).ConfigureAwait(false))
                {
                    break;
                }

                delay = Next(delay);
                continue;
            }

            Volatile.Write(ref _width, source.Width);
            Volatile.Write(ref _height, source.Height);
            var config = Config;
            var kind = VideoSource.KindOf(config.Source);
            var live = config.Live ?? (kind is VideoSourceKind.Camera or VideoSourceKind.Stream || config.Realtime);
            var video = new VideoDetector(DetectFrame, new VideoDetectorOptions
            {
                Mode = live ? VideoMode.Live : VideoMode.EveryFrame,
                Stride = config.Stride,
                Tracking = config.Tracking,
                // Thresholds are applied per class in DetectFrame; the pipeline keeps everything that reaches it.
                Detection = DetectionOptions.Default with { Confidence = 1e-6 },
                Reconnect = _host.Reconnect,
                Sinks = [new AnalyticsFrameSink(config, _sinks, _host.Silo, n => Interlocked.Add(ref _events, n))],
            }, _logger);
            video.Reconnecting += (_, e) =>
            {
                Interlocked.Increment(ref _reconnects);
                _state = CameraState.Reconnecting;
                _lastError = e.Reason;
            };
            _video = video;
            try
            {
                await foreach (var _ in video.RunAsync(source, token).ConfigureAwait(false))
                {
                    if (_state != CameraState.Running)
                    {
                        _state = CameraState.Running;
                        delay = _host.RestartDelay;
                    }
                }

                if (!config.Loop || kind is not (VideoSourceKind.File or VideoSourceKind.ImageFolder))
                {
                    _state = CameraState.Finished;
                    LogFinished(_logger, config.Name);
                    break;
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is VideoSourceException or OpenVocabException or OpenCvSharp.OpenCVException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or IOException)
            {
                Failed(e.Message);
            }
            finally
            {
                // The run reads and reopens the source but the camera owns it.
                source.Dispose();
                Retire(video);
            }

            Interlocked.Increment(ref _reconnects);
            if (!await Wait(delay, token).ConfigureAwait(false))
            {
                break;
            }

            delay = Next(delay);
        }
    }

    private IFrameSource Open()
    {
        var config = Config;
        var kind = VideoSource.KindOf(config.Source);
        if ((config.Loop || config.Realtime) && kind is VideoSourceKind.File or VideoSourceKind.ImageFolder)
        {
            return new ReplayFrameSource(() => VideoSource.Open(config.Source, _host.Stream, imageFps: 10), config.Realtime, config.Loop);
        }

        return VideoSource.Open(config.Source, _host.Stream);
    }

    private DetectionResult DetectFrame(OpenCvSharp.Mat image, DetectionOptions _, ClassSet? __)
    {
        var classes = Volatile.Read(ref _classes);
        return classes.Filter(_batcher.Detect(image, classes.Options, classes.Set, _stop.Token));
    }

    /// <summary>Folds a finished run's counters into the camera's totals.</summary>
    private void Retire(VideoDetector video)
    {
        if (video.Statistics is { } s)
        {
            Interlocked.Add(ref _readBefore, s.FramesRead);
            Interlocked.Add(ref _processedBefore, s.FramesProcessed);
            Interlocked.Add(ref _droppedBefore, s.FramesDropped);
        }

        _video = null;
    }

    private void Failed(string reason)
    {
        _state = CameraState.Reconnecting;
        _lastError = reason;
        LogFailed(_logger, Config.Name, reason);
    }

    private static TimeSpan Next(TimeSpan delay) => TimeSpan.FromTicks(Math.Min(Math.Max(delay.Ticks * 2, TimeSpan.TicksPerMillisecond * 100), TimeSpan.TicksPerSecond * 30));

    private static async Task<bool> Wait(TimeSpan delay, CancellationToken token)
    {
        try
        {
            await Task.Delay(delay, token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning, Message = "Camera '{Camera}' failed: {Reason}; starting it again with backoff.")]
    private static partial void LogFailed(ILogger logger, string camera, string reason);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Information, Message = "Camera '{Camera}' reached the end of its file.")]
    private static partial void LogFinished(ILogger logger, string camera);
}
