using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenCvSharp;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using OpenVocab.Detection;
using OpenVocab.Tracking;

namespace OpenVocab.Video;

/// <summary>
/// Runs a <see cref="Detector"/> over a video, camera, image folder or stream as a pipeline of three stages joined by
/// bounded channels: capture (read + decode), detection (preprocess + inference + postprocess), and tracking + sinks.
/// The stages overlap, so throughput approaches that of the slowest one; frames are pooled <see cref="Mat"/>s whose
/// number is bounded by the queue sizes, so memory stays flat however long the run.
/// One run at a time per instance; <see cref="SetClasses(ClassSet)"/> may be called from any thread during a run.
/// </summary>
/// <remarks>
/// Ownership: the <see cref="Detector"/> and the sinks in <see cref="VideoDetectorOptions.Sinks"/> belong to the caller.
/// A source passed to <see cref="RunAsync(IFrameSource, CancellationToken)"/> belongs to the caller too; only a source
/// the run opens itself, from a spec given to <see cref="RunAsync(string, CancellationToken)"/>, is disposed by the run.
/// When tracking is on, each run has its own <see cref="ByteTracker"/>, which decides the confidence detection runs at.
/// </remarks>
public sealed partial class VideoDetector
{
    private readonly Func<Mat, DetectionOptions, ClassSet?, DetectionResult> _detect;
    private readonly VideoDetectorOptions _options;
    private readonly ILogger _logger;
    private ClassSet? _classes;
    private RunCounters? _counters;
    private int _running;

    /// <summary>Creates a pipeline over a loaded detector (not owned: the caller disposes it).</summary>
    public VideoDetector(Detector detector, VideoDetectorOptions? options = null, ILogger? logger = null)
        : this(Check(detector).Detect, options, logger)
    {
    }

    /// <summary>
    /// A pipeline over any detect function: a detector shared by many pipelines that batches their frames
    /// (OpenVocab.Cameras), or a stand-in that measures the pipeline alone. The function is called from the detection
    /// stage's thread, one frame at a time; the <see cref="Mat"/> is valid only during the call and must not be kept.
    /// </summary>
    /// <param name="detect">Detects one frame with the given options and classes (null: the detector's own).</param>
    /// <param name="options">Pipeline settings; defaults when null.</param>
    /// <param name="logger">Where progress and reconnect warnings go; none when null.</param>
    public VideoDetector(Func<Mat, DetectionOptions, ClassSet?, DetectionResult> detect, VideoDetectorOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(detect);
        _detect = detect;
        _options = options ?? new VideoDetectorOptions();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Raised on the capture thread before each attempt to reopen a failed source.</summary>
    public event EventHandler<SourceReconnectEventArgs>? Reconnecting;

    /// <summary>The settings.</summary>
    public VideoDetectorOptions Options => _options;

    /// <summary>Classes for the next frames; null uses the detector's own <see cref="Detector.Classes"/>.</summary>
    public ClassSet? Classes => Volatile.Read(ref _classes);

    /// <summary>Counters of the current run, or of the last one when none is running; null before the first run.</summary>
    public VideoRunStatistics? Statistics => _counters?.Snapshot();

    /// <summary>Frame Mats the current or last run allocated (bounded by the queues, not by the run's length).</summary>
    internal int FramesAllocated => _counters?.Pool?.Created ?? 0;

    /// <summary>Changes the classes; the next frame to enter detection uses them. Tracks are kept per label.</summary>
    public void SetClasses(ClassSet? classes) => Volatile.Write(ref _classes, classes);

    /// <summary>
    /// Opens <paramref name="spec"/> with <see cref="VideoSource.Open"/> when the enumeration starts, runs over it as
    /// <see cref="RunAsync(IFrameSource, CancellationToken)"/> does, and disposes it when the run ends, however it ends:
    /// the run owns the source it opened.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another run of this instance is in progress (nothing is opened).</exception>
    /// <exception cref="VideoSourceException">The source cannot be opened.</exception>
    public async IAsyncEnumerable<FrameResult> RunAsync(string spec, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        BeginRun();
        IFrameSource source;
        try
        {
            source = VideoSource.Open(spec);
        }
        catch
        {
            EndRun();
            throw;
        }

        using (source)
        {
            await foreach (var result in Run(source, cancellationToken).ConfigureAwait(false))
            {
                yield return result;
            }
        }
    }

    /// <summary>
    /// Detects objects in every frame of <paramref name="source"/> (or the newest ones, in live mode) and yields results
    /// in frame order. End of a file ends the enumeration; cancellation stops within a frame and throws
    /// <see cref="OperationCanceledException"/>; a source failure that reconnecting cannot cure is thrown as
    /// <see cref="VideoSourceException"/>. A sink's exception ends the run with that exception.
    /// </summary>
    /// <remarks>
    /// The caller owns <paramref name="source"/>: the run reads (and, on failures, reopens) it but never disposes it, also
    /// when it fails or is refused. Dispose it once the enumeration has ended (the enumerator's <c>DisposeAsync</c> waits
    /// for the pipeline's threads to let go of it).
    /// </remarks>
    /// <exception cref="InvalidOperationException">Another run of this instance is in progress.</exception>
    public async IAsyncEnumerable<FrameResult> RunAsync(IFrameSource source, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        BeginRun();
        await foreach (var result in Run(source, cancellationToken).ConfigureAwait(false))
        {
            yield return result;
        }
    }

    /// <summary>Claims this instance for one run; <see cref="Run"/> releases it when the run ends.</summary>
    private void BeginRun()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new InvalidOperationException("This VideoDetector is already running; use one instance per concurrent run.");
        }
    }

    private void EndRun() => Volatile.Write(ref _running, 0);

    /// <summary>The run itself, on a claimed instance; it releases the claim when it ends and never disposes the source.</summary>
    private async IAsyncEnumerable<FrameResult> Run(IFrameSource source, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var counters = new RunCounters();
        _counters = counters;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = cts.Token;
        var pool = new FramePool();
        counters.Pool = pool;
        var live = _options.Mode == VideoMode.Live || (_options.Mode == VideoMode.Auto && source.IsLive);
        var frames = live
            ? Channel.CreateBounded<Frame>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
                dropped =>
                {
                    Interlocked.Increment(ref counters.Dropped);
                    pool.Return(dropped.Image);
                })
            : Channel.CreateBounded<Frame>(new BoundedChannelOptions(_options.QueueCapacity) { SingleReader = true, SingleWriter = true });
        var detected = Channel.CreateBounded<(Frame Frame, DetectionResult Result)>(new BoundedChannelOptions(_options.QueueCapacity) { SingleReader = true, SingleWriter = true });
        var results = Channel.CreateBounded<FrameResult>(new BoundedChannelOptions(_options.QueueCapacity) { SingleReader = true, SingleWriter = true });

        // The tracker owns ByteTrack's low-threshold rule: detection runs at the confidence it asks for, and it gives back
        // only what the caller's confidence (or a track) keeps.
        var detection = _options.Detection ?? DetectionOptions.Default;
        var tracker = _options.Tracking is { } tracking ? new ByteTracker(tracking, detection) : null;
        var detectorOptions = tracker?.DetectorOptions ?? detection;

        LogStarted(_logger, source.Name, source.Width, source.Height, source.Fps, live ? "live" : "every-frame");
        var stages = new[]
        {
            Stage(() => Capture(source, frames.Writer, pool, counters, token), frames.Writer, cts),
            Stage(() => DetectStage(frames.Reader, detected.Writer, detectorOptions, counters, token), detected.Writer, cts),
            Stage(() => PostStage(detected.Reader, results.Writer, tracker, pool, counters, token), results.Writer, cts),
        };
        var interrupt = source is IInterruptibleSource i ? token.Register(i.Interrupt) : default;
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await results.Reader.WaitToReadAsync(token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    more = false; // a failing stage cancelled the run; its error is thrown below
                }

                if (!more)
                {
                    break;
                }

                while (results.Reader.TryRead(out var result))
                {
                    yield return result;
                }
            }

            // The channel completes when the stages end; surface the first stage's own failure.
            try
            {
                await Task.WhenAll(stages).ConfigureAwait(false);
            }
            catch when (Array.Find(stages, s => s.IsFaulted && s.Exception!.InnerException is not OperationCanceledException) is { } failed)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed.Exception!.InnerException!);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            await cts.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(stages).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException || token.IsCancellationRequested)
            {
                // The run is being torn down; the consumer already has (or will get) the reason.
            }
            finally
            {
                await interrupt.DisposeAsync().ConfigureAwait(false);
                while (frames.Reader.TryRead(out var f))
                {
                    pool.Return(f.Image);
                }

                while (detected.Reader.TryRead(out var d))
                {
                    pool.Return(d.Frame.Image);
                }

                pool.Dispose();
                counters.Completed = true;
                counters.Stop();
                LogFinished(_logger, source.Name, counters.Processed, counters.Dropped, counters.Reconnects);
                EndRun();
            }
        }
    }

    private static Detector Check(Detector detector)
    {
        ArgumentNullException.ThrowIfNull(detector);
        return detector;
    }

    /// <summary>Runs a blocking stage on its own thread; on failure cancels the run. Always completes its output.</summary>
    private static Task Stage<T>(Action body, ChannelWriter<T> output, CancellationTokenSource cts) =>
        Task.Factory.StartNew(() =>
        {
            try
            {
                body();
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                throw;
            }
            catch
            {
                cts.Cancel();
                throw;
            }
            finally
            {
                output.TryComplete();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Capture(IFrameSource source, ChannelWriter<Frame> output, FramePool pool, RunCounters counters, CancellationToken token)
    {
        long read = 0;
        var clock = Stopwatch.StartNew();
        while (!token.IsCancellationRequested)
        {
            if (_options.MaxFrames is { } max && read >= max)
            {
                break;
            }

            var image = pool.Rent();
            bool ok;
            FrameInfo info;
            var start = clock.Elapsed;
            try
            {
                ok = source.Read(image, out info);
            }
            catch (VideoSourceException e)
            {
                pool.Return(image);
                if (token.IsCancellationRequested)
                {
                    break;
                }

                if (!Reconnect(source, e.Message, counters, token, out _))
                {
                    throw;
                }

                continue;
            }
            catch
            {
                pool.Return(image);
                throw;
            }

            counters.Skipped = source.FramesSkipped;
            if (!ok)
            {
                pool.Return(image);
                if (source.IsLive && !token.IsCancellationRequested && _options.Reconnect.MaxAttempts > 0)
                {
                    if (Reconnect(source, "the live source ended", counters, token, out var lastError))
                    {
                        continue;
                    }

                    // A camera or stream that stays gone is a failure, not a normal end: say so, as for a read error.
                    if (!token.IsCancellationRequested)
                    {
                        throw new VideoSourceException(
                            $"Source '{source.Name}' ended and could not be reopened after {_options.Reconnect.MaxAttempts} attempts: {lastError}");
                    }
                }

                break;
            }

            counters.AddCapture((clock.Elapsed - start).TotalMilliseconds);
            read++;
            if ((read - 1) % _options.Stride != 0)
            {
                Interlocked.Increment(ref counters.Strided);
                pool.Return(image);
                continue;
            }

            var frame = new Frame(image, info, Stopwatch.GetTimestamp());
            if (!output.TryWrite(frame))
            {
                try
                {
                    // Every-frame mode: the source waits for detection (back-pressure).
                    output.WriteAsync(frame, token).AsTask().GetAwaiter().GetResult();
                }
                catch
                {
                    pool.Return(image);
                    throw;
                }
            }
        }
    }

    /// <summary>Reopens the source with the policy's backoff; false when cancelled or out of attempts (<paramref name="lastError"/> says why).</summary>
    private bool Reconnect(IFrameSource source, string reason, RunCounters counters, CancellationToken token, out string lastError)
    {
        lastError = reason;
        var policy = _options.Reconnect;
        for (var attempt = 1; attempt <= policy.MaxAttempts; attempt++)
        {
            var delay = policy.DelayFor(attempt);
            LogReconnecting(_logger, source.Name, attempt, policy.MaxAttempts, delay.TotalSeconds, reason);
            Interlocked.Increment(ref counters.Reconnects);
            Reconnecting?.Invoke(this, new SourceReconnectEventArgs(attempt, delay, reason));
            if (token.WaitHandle.WaitOne(delay))
            {
                return false;
            }

            try
            {
                source.Reopen();
                return true;
            }
            catch (VideoSourceException e)
            {
                reason = lastError = e.Message;
            }
        }

        if (policy.MaxAttempts > 0)
        {
            LogGaveUp(_logger, source.Name, policy.MaxAttempts, reason);
        }

        return false;
    }

    private void DetectStage(ChannelReader<Frame> input, ChannelWriter<(Frame, DetectionResult)> output, DetectionOptions options, RunCounters counters,
        CancellationToken token)
    {
        while (input.WaitToReadAsync(token).AsTask().GetAwaiter().GetResult())
        {
            while (input.TryRead(out var frame))
            {
                DetectionResult result;
                try
                {
                    result = _detect(frame.Image, options, Classes);
                }
                catch
                {
                    counters.Pool?.Return(frame.Image);
                    throw;
                }

                counters.AddDetect(result.Timings);
                if (!output.TryWrite((frame, result)))
                {
                    output.WriteAsync((frame, result), token).AsTask().GetAwaiter().GetResult();
                }

                if (token.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    private void PostStage(ChannelReader<(Frame Frame, DetectionResult Result)> input, ChannelWriter<FrameResult> output, ByteTracker? tracker,
        FramePool pool, RunCounters counters, CancellationToken token)
    {
        var clock = new Stopwatch();
        while (input.WaitToReadAsync(token).AsTask().GetAwaiter().GetResult())
        {
            while (input.TryRead(out var item))
            {
                var (frame, result) = item;
                try
                {
                    clock.Restart();
                    IReadOnlyList<DetectedObject> detections = tracker is null ? result.Detections : tracker.Update(result.Detections);
                    var trackingMs = clock.Elapsed.TotalMilliseconds;
                    var latency = Stopwatch.GetElapsedTime(frame.Started).TotalMilliseconds;
                    var frameResult = new FrameResult(frame.Info.Index, frame.Info.Timestamp, frame.Image.Width, frame.Image.Height, detections, result.Timings,
                        trackingMs, latency);
                    clock.Restart();
                    foreach (var sink in _options.Sinks)
                    {
                        sink.Write(frameResult, frame.Image);
                    }

                    counters.AddPost(trackingMs, clock.Elapsed.TotalMilliseconds);
                    frameResult = frameResult with { LatencyMs = Stopwatch.GetElapsedTime(frame.Started).TotalMilliseconds };
                    if (!output.TryWrite(frameResult))
                    {
                        output.WriteAsync(frameResult, token).AsTask().GetAwaiter().GetResult();
                    }
                }
                finally
                {
                    pool.Return(frame.Image);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Video '{Source}' {Width}x{Height} at {Fps:0.##} fps, {Mode} mode.")]
    private static partial void LogStarted(ILogger logger, string source, int width, int height, double fps, string mode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Video '{Source}' done: {Processed} frames processed, {Dropped} dropped, {Reconnects} reconnects.")]
    private static partial void LogFinished(ILogger logger, string source, long processed, long dropped, int reconnects);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source '{Source}' failed; reopening (attempt {Attempt} of {MaxAttempts}) in {DelaySeconds:0.0} s: {Reason}")]
    private static partial void LogReconnecting(ILogger logger, string source, int attempt, int maxAttempts, double delaySeconds, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Source '{Source}' could not be reopened after {Attempts} attempts: {Reason}")]
    private static partial void LogGaveUp(ILogger logger, string source, int attempts, string reason);

    /// <summary>A frame in flight: a pooled image, its place in the source, and when it left the source.</summary>
    private readonly record struct Frame(Mat Image, FrameInfo Info, long Started);
}
