using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OpenVocab.Cameras.Events;

/// <summary>
/// Base of the event outputs: a bounded in-memory queue that <see cref="Post"/> fills without ever blocking (when it
/// is full the oldest event is dropped, counted and logged) and one background loop that delivers in order through
/// <see cref="SendAsync"/>. A destination that is slow or gone therefore never holds up detection.
/// <see cref="Post"/> and <see cref="Statistics"/> are thread-safe; the loop is the only caller of the subclass's methods.
/// </summary>
public abstract partial class EventSink : IAsyncDisposable
{
    private const int LatencySamples = 65536;
    private readonly Channel<SinkMessage> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly double[] _latencies = new double[LatencySamples];
    private readonly Lock _latencyLock = new();
    private long _latencyCount;
    private Task? _loop;
    private long _accepted, _delivered, _dropped, _retries, _inFlight;
    private int _outages;
    private long _lastDropLog;

    /// <summary>Creates the sink; call <see cref="Start"/> once the subclass is ready.</summary>
    /// <param name="name">What to call it in logs and status.</param>
    /// <param name="capacity">Events that may wait in memory.</param>
    /// <param name="logger">Where failures and drops are logged.</param>
    protected EventSink(string name, int capacity, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Name = name;
        Logger = logger ?? NullLogger.Instance;
        _queue = Channel.CreateBounded<SinkMessage>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped => CountDropped(dropped, "the queue is full"));
    }

    /// <summary>The sink's name.</summary>
    public string Name { get; }

    /// <summary>Counters so far.</summary>
    public EventSinkStatistics Statistics => new(Interlocked.Read(ref _accepted), Interlocked.Read(ref _delivered), Interlocked.Read(ref _dropped),
        _queue.Reader.Count + Interlocked.Read(ref _inFlight) + Backlog, Interlocked.Read(ref _retries), Volatile.Read(ref _outages), IsConnected);

    /// <summary>The logger.</summary>
    protected ILogger Logger { get; }

    /// <summary>Events the subclass holds besides the memory queue (MQTT's on-disk queue).</summary>
    protected virtual long Backlog => 0;

    /// <summary>Whether the destination is reachable as far as the sink knows.</summary>
    protected virtual bool IsConnected => true;

    /// <summary>Hands a message to the sink. Never blocks and never throws for delivery problems.</summary>
    public void Post(SinkMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!message.IsCounts)
        {
            Interlocked.Increment(ref _accepted);
        }

        if (!_queue.Writer.TryWrite(message))
        {
            // Only after disposal: the sink is closed.
            CountDropped(message, "the sink is closed");
        }
    }

    /// <summary>Waits until nothing is pending (all delivered or dropped), or the timeout; true when drained.</summary>
    public async Task<bool> FlushAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Statistics.Pending > 0)
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(20).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Capture-to-delivery latencies (ms) of the most recent delivered events (up to 65,536), oldest first.</summary>
    public double[] LatencyMilliseconds()
    {
        lock (_latencyLock)
        {
            var n = (int)Math.Min(_latencyCount, LatencySamples);
            var result = new double[n];
            var start = _latencyCount > LatencySamples ? (int)(_latencyCount % LatencySamples) : 0;
            for (var i = 0; i < n; i++)
            {
                result[i] = _latencies[(start + i) % LatencySamples];
            }

            return result;
        }
    }

    /// <summary>
    /// Stops taking messages, gives the loop up to <paramref name="drainTimeout"/> to deliver what is queued, then stops it.
    /// </summary>
    public async ValueTask StopAsync(TimeSpan drainTimeout)
    {
        _queue.Writer.TryComplete();
        if (_loop is { } loop)
        {
            if (await Task.WhenAny(loop, Task.Delay(drainTimeout)).ConfigureAwait(false) != loop)
            {
                await _stop.CancelAsync().ConfigureAwait(false);
            }

            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped on purpose.
            }
        }
    }

    /// <summary>Stops with a 5 s drain and releases the destination.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await DisposeCoreAsync().ConfigureAwait(false);
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Starts the delivery loop.</summary>
    protected void Start() => _loop ??= Task.Run(() => LoopAsync(_stop.Token));

    /// <summary>
    /// Delivers one message, retrying as the destination needs; returns when it is delivered, queued elsewhere
    /// (MQTT's disk queue) or given up (call <see cref="CountDropped(SinkMessage, string)"/>). An exception counts the event as dropped
    /// and is logged; the loop goes on.
    /// </summary>
    protected abstract Task SendAsync(SinkMessage message, CancellationToken cancellationToken);

    /// <summary>Called about every 250 ms while no message arrives (reconnecting, draining a backlog).</summary>
    protected virtual Task IdleAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Releases the destination after the loop has stopped.</summary>
    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;

    /// <summary>Records an event as delivered, with its capture-to-delivery latency.</summary>
    protected void CountDelivered(SinkMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.IsCounts)
        {
            return;
        }

        Interlocked.Increment(ref _delivered);
        var ms = Stopwatch.GetElapsedTime(message.CapturedAt).TotalMilliseconds;
        lock (_latencyLock)
        {
            _latencies[_latencyCount % LatencySamples] = ms;
            _latencyCount++;
        }
    }

    /// <summary>Records events as delivered without a latency (a backlog sent from disk).</summary>
    protected void CountDelivered(long events) => Interlocked.Add(ref _delivered, events);

    /// <summary>Records a dropped message (events only count) and logs it, at most once a second.</summary>
    protected void CountDropped(SinkMessage message, string reason)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.IsCounts)
        {
            return;
        }

        CountDropped(1, reason);
    }

    /// <summary>Records <paramref name="events"/> dropped events and logs it, at most once a second.</summary>
    protected void CountDropped(long events, string reason)
    {
        var total = Interlocked.Add(ref _dropped, events);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastDropLog);
        if (now - last >= 1000 && Interlocked.CompareExchange(ref _lastDropLog, now, last) == last)
        {
            LogDropped(Logger, Name, events, reason, total);
        }
    }

    /// <summary>Records a repeated attempt.</summary>
    protected void CountRetry() => Interlocked.Increment(ref _retries);

    /// <summary>Records that the destination became unreachable.</summary>
    protected void CountOutage() => Interlocked.Increment(ref _outages);

    private async Task LoopAsync(CancellationToken token)
    {
        Task<bool>? waiting = null;
        while (!token.IsCancellationRequested)
        {
            waiting ??= _queue.Reader.WaitToReadAsync(token).AsTask();
            if (await Task.WhenAny(waiting, Task.Delay(250, token)).ConfigureAwait(false) != waiting)
            {
                await Guard(null, () => IdleAsync(token), token).ConfigureAwait(false);
                continue;
            }

            if (!await waiting.ConfigureAwait(false))
            {
                break; // completed and empty
            }

            waiting = null;
            while (_queue.Reader.TryRead(out var message))
            {
                Interlocked.Increment(ref _inFlight);
                try
                {
                    await Guard(message, () => SendAsync(message, token), token).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _inFlight);
                }
            }
        }

        // Completed: let the subclass finish its own backlog while the drain time lasts.
        while (!token.IsCancellationRequested && Backlog > 0)
        {
            await Guard(null, () => IdleAsync(token), token).ConfigureAwait(false);
            await Task.Delay(50, token).ConfigureAwait(false);
        }
    }

    private async Task Guard(SinkMessage? message, Func<Task> body, CancellationToken token)
    {
        try
        {
            await body().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            LogFailed(Logger, e, Name);
            if (message is not null)
            {
                CountDropped(message, e.Message);
            }

            // Back off a little so a persistent fault does not spin.
            await Task.Delay(100, token).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Event sink '{Sink}' dropped {Count} event(s): {Reason} ({Total} dropped so far).")]
    private static partial void LogDropped(ILogger logger, string sink, long count, string reason, long total);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Event sink '{Sink}' failed to deliver; continuing.")]
    private static partial void LogFailed(ILogger logger, Exception exception, string sink);
}
