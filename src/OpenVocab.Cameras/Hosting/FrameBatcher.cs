using System.Diagnostics;
using OpenCvSharp;
using OpenVocab.Detection;

namespace OpenVocab.Cameras.Hosting;

/// <summary>
/// One detector shared by every camera. Each camera's detection stage calls <see cref="Detect"/> and blocks until its
/// frame is done; with batching on, one worker thread takes every frame waiting at that moment and runs them as one
/// batched call per class set (frames with the same classes and options share a run). No time window is waited for:
/// frames that arrive while a batch runs form the next batch, so batches grow exactly when the detector is the
/// bottleneck. Each camera has at most one frame waiting (its stage is synchronous), so every batch holds at most one
/// frame per camera and no camera can take another's turn; class-set groups start from a rotating position.
/// Thread-safe.
/// </summary>
internal sealed class FrameBatcher : IDisposable
{
    private readonly Detector _detector;
    private readonly int _maxBatch;
    private readonly List<Request> _waiting = [];
    private readonly Lock _lock = new();
    private readonly Thread? _worker;
    private readonly SemaphoreSlim _signal = new(0);
    private volatile bool _stopped;
    private int _rotation;
    private long _batches, _frames, _runs;
    private double _detectMs;

    public FrameBatcher(Detector detector, bool batching, int maxBatch)
    {
        _detector = detector;
        _maxBatch = maxBatch;
        Batching = batching;
        if (batching)
        {
            _worker = new Thread(Work) { IsBackground = true, Name = "openvocab-batcher" };
            _worker.Start();
        }
    }

    public bool Batching { get; }

    /// <summary>Batches run, frames detected, detector calls (one per class-set group), and mean ms per frame in the detector.</summary>
    public (long Batches, long Frames, long Runs, double MsPerFrame) Statistics
    {
        get
        {
            lock (_lock)
            {
                return (_batches, _frames, _runs, _frames > 0 ? _detectMs / _frames : 0);
            }
        }
    }

    /// <summary>Detects one frame; blocks the caller until done. The frame must stay valid until this returns.</summary>
    public DetectionResult Detect(Mat image, DetectionOptions options, ClassSet classes, CancellationToken token)
    {
        if (!Batching)
        {
            var clock = Stopwatch.StartNew();
            var result = _detector.Detect(image, options, classes);
            lock (_lock)
            {
                _batches++;
                _frames++;
                _runs++;
                _detectMs += clock.Elapsed.TotalMilliseconds;
            }

            return result;
        }

        ObjectDisposedException.ThrowIf(_stopped, this);
        using var request = new Request(image, options, classes);
        lock (_lock)
        {
            _waiting.Add(request);
        }

        _signal.Release();
        try
        {
            request.Done.Wait(token);
        }
        catch (OperationCanceledException)
        {
            // The worker may be using the image right now: wait for it before the caller reuses the frame.
            lock (_lock)
            {
                if (_waiting.Remove(request))
                {
                    throw;
                }
            }

            request.Done.Wait(CancellationToken.None);
            throw;
        }

        return request.Result ?? throw request.Error!;
    }

    public void Dispose()
    {
        _stopped = true;
        _signal.Release();
        _worker?.Join();
        _signal.Dispose();
        lock (_lock)
        {
            foreach (var r in _waiting)
            {
                r.Fail(new ObjectDisposedException(nameof(FrameBatcher)));
            }

            _waiting.Clear();
        }
    }

    private void Work()
    {
        var batch = new List<Request>();
        while (true)
        {
            _signal.Wait();
            if (_stopped)
            {
                return;
            }

            batch.Clear();
            lock (_lock)
            {
                var n = Math.Min(_waiting.Count, _maxBatch);
                batch.AddRange(_waiting.GetRange(0, n));
                _waiting.RemoveRange(0, n);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            var groups = batch.GroupBy(r => (r.Classes, r.Options)).ToList();
            var start = _rotation++ % groups.Count;
            var clock = Stopwatch.StartNew();
            for (var g = 0; g < groups.Count; g++)
            {
                var group = groups[(start + g) % groups.Count].ToList();
                try
                {
                    var results = _detector.DetectBatch([.. group.Select(r => r.Image)], group[0].Options, group[0].Classes);
                    for (var i = 0; i < group.Count; i++)
                    {
                        group[i].Complete(results[i]);
                    }
                }
                catch (Exception e) when (e is OpenVocabException or ArgumentException or OpenCVException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
                {
                    // The cameras' own stages rethrow it, log it and restart with backoff.
                    foreach (var r in group)
                    {
                        r.Fail(e);
                    }
                }
            }

            lock (_lock)
            {
                _batches++;
                _frames += batch.Count;
                _runs += groups.Count;
                _detectMs += clock.Elapsed.TotalMilliseconds;
            }
        }
    }

    private sealed class Request(Mat image, DetectionOptions options, ClassSet classes) : IDisposable
    {
        public Mat Image { get; } = image;

        public DetectionOptions Options { get; } = options;

        public ClassSet Classes { get; } = classes;

        public ManualResetEventSlim Done { get; } = new();

        public DetectionResult? Result { get; private set; }

        public Exception? Error { get; private set; }

        public void Complete(DetectionResult result)
        {
            Result = result;
            Done.Set();
        }

        public void Fail(Exception error)
        {
            Error = error;
            Done.Set();
        }

        public void Dispose() => Done.Dispose();
    }
}
