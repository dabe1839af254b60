using System.Diagnostics;
using Microsoft.Extensions.Options;
using OpenCvSharp;
using OpenVocab.Detection;
using OpenVocab.Server.Hosting;

namespace OpenVocab.Server.Batching;

/// <summary>
/// Dynamic batching of detect requests: images waiting with the same class set and options go into one detector run,
/// up to <see cref="ServerOptions.MaxBatch"/>. Runs are limited to <see cref="ServerOptions.MaxParallelBatches"/> at once;
/// images that arrive while runs are busy wait and are taken together by the next free run. A run that starts while
/// another is busy waits up to <see cref="ServerOptions.BatchWindowMs"/> for its batch to fill; an idle server never
/// waits, so at concurrency 1 batching adds no latency. Thread-safe.
/// </summary>
internal sealed class DetectBatcher(ModelHost models, IOptions<ServerOptions> options, ServerMetrics metrics)
{
    private readonly ServerOptions _options = options.Value;
    private readonly Lock _gate = new();

    // Keys in the order their first waiting image arrived, so that no class set starves behind a busy one.
    private readonly List<BatchKey> _keys = [];
    private readonly Dictionary<BatchKey, Queue<Pending>> _pending = [];
    private int _waiting;
    private int _running;

    /// <summary>Images waiting for a run.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>
    /// Detects objects in each of <paramref name="images"/> (8-bit BGR, kept alive by the caller until the task
    /// completes); results are in the order of the images. The images may go into different runs, each shared with
    /// other requests' images. On an idle server the first run happens on the calling thread, so a request at
    /// concurrency 1 pays for no thread hand-over on the way in or out.
    /// </summary>
    public Task<DetectionResult[]> DetectAsync(IReadOnlyList<Mat> images, ClassSet classes, DetectionOptions detectionOptions)
    {
        if (images.Count == 0)
        {
            return Task.FromResult(Array.Empty<DetectionResult>());
        }

        if (_options.DisableBatching)
        {
            try
            {
                var results = new DetectionResult[images.Count];
                for (var i = 0; i < results.Length; i++)
                {
                    results[i] = RunBatch([images[i]], detectionOptions, classes)[0];
                }

                return Task.FromResult(results);
            }
#pragma warning disable CA1031 // Handed to the caller as the task's error, as an asynchronous run would.
            catch (Exception e)
#pragma warning restore CA1031
            {
                return Task.FromException<DetectionResult[]>(e);
            }
        }

        var pending = new Task<DetectionResult>[images.Count];
        var key = new BatchKey(classes, detectionOptions);
        bool start;
        bool idle;
        lock (_gate)
        {
            if (!_pending.TryGetValue(key, out var queue))
            {
                queue = new Queue<Pending>();
                _pending[key] = queue;
                _keys.Add(key);
            }

            for (var i = 0; i < pending.Length; i++)
            {
                var p = new Pending(images[i]);
                queue.Enqueue(p);
                pending[i] = p.Result.Task;
            }

            _waiting += pending.Length;
            metrics.QueueDepth.Set(_waiting);
            idle = _running == 0;
            start = _running < _options.MaxParallelBatches;
            if (start)
            {
                _running++;
            }
        }

        if (idle)
        {
            // Nothing else was waiting, so the first batch is this request's: run it here, then hand the run slot to
            // a background drain only if more arrived meanwhile (or this request had more than one batch).
            if (TakeBatch() is { } first)
            {
                Run(first.Key, first.Batch);
                if (KeepSlot())
                {
                    _ = Task.Run(() => Drain(waitForMore: false));
                }
            }
        }
        else if (start)
        {
            _ = Task.Run(() => Drain(waitForMore: true));
        }

        return Task.WhenAll(pending);
    }

    /// <summary>Takes batches until nothing waits, then gives its run slot back.</summary>
    private async Task Drain(bool waitForMore)
    {
        while (true)
        {
            if (waitForMore && _options.BatchWindowMs > 0 && !FullBatchWaiting())
            {
                await Task.Delay(TimeSpan.FromMilliseconds(_options.BatchWindowMs)).ConfigureAwait(false);
            }

            if (TakeBatch() is not { } next)
            {
                return;
            }

            Run(next.Key, next.Batch);

            // Images that arrived during this run have already waited for it: take them at once.
            waitForMore = false;
        }
    }

    /// <summary>
    /// Takes up to <see cref="ServerOptions.MaxBatch"/> images of the key that has waited longest; when nothing waits,
    /// gives the caller's run slot back and returns null.
    /// </summary>
    private (BatchKey Key, List<Pending> Batch)? TakeBatch()
    {
        lock (_gate)
        {
            if (_keys.Count == 0)
            {
                _running--;
                return null;
            }

            var key = _keys[0];
            var queue = _pending[key];
            var batch = new List<Pending>(Math.Min(queue.Count, _options.MaxBatch));
            while (batch.Count < _options.MaxBatch && queue.TryDequeue(out var p))
            {
                batch.Add(p);
            }

            _keys.RemoveAt(0);
            if (queue.Count > 0)
            {
                _keys.Add(key); // the rest waits behind other keys
            }
            else
            {
                _pending.Remove(key);
            }

            _waiting -= batch.Count;
            metrics.QueueDepth.Set(_waiting);
            return (key, batch);
        }
    }

    /// <summary>After a run on a request's thread: keeps the run slot when images wait (true), else gives it back.</summary>
    private bool KeepSlot()
    {
        lock (_gate)
        {
            if (_keys.Count > 0)
            {
                return true;
            }

            _running--;
            return false;
        }
    }

    private bool FullBatchWaiting()
    {
        lock (_gate)
        {
            return _keys.Count > 0 && _pending[_keys[0]].Count >= _options.MaxBatch;
        }
    }

    private void Run(BatchKey key, List<Pending> batch)
    {
        try
        {
            var images = new Mat[batch.Count];
            for (var i = 0; i < images.Length; i++)
            {
                images[i] = batch[i].Image;
            }

            var results = RunBatch(images, key.Options, key.Classes);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(results[i]);
            }
        }
#pragma warning disable CA1031 // Every waiting request gets the error; the loop goes on for the others.
        catch (Exception e)
#pragma warning restore CA1031
        {
            foreach (var p in batch)
            {
                p.Result.TrySetException(e);
            }
        }
    }

    /// <summary>One detector run over several images (same classes and options), timed and counted.</summary>
    private IReadOnlyList<DetectionResult> RunBatch(Mat[] images, DetectionOptions detectionOptions, ClassSet classes)
    {
        var detector = models.Current.Detector ?? throw new InvalidOperationException("This model pack has no detector.");
        var start = Stopwatch.GetTimestamp();
        // One ONNX run per MaxBatch images when the graph has a dynamic batch; frame by frame otherwise (the detector decides).
        var results = detector.DetectBatch(images, detectionOptions, classes);
        metrics.InferenceSeconds.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
        metrics.BatchSize.Observe(images.Length);
        return results;
    }

    /// <summary>Requests that may share a run: the same class set instance and equal options.</summary>
    private readonly record struct BatchKey(ClassSet Classes, DetectionOptions Options);

    private sealed class Pending(Mat image)
    {
        public Mat Image { get; } = image;

        public TaskCompletionSource<DetectionResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
