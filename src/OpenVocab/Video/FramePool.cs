using System.Collections.Concurrent;
using OpenCvSharp;

namespace OpenVocab.Video;

/// <summary>Reuses frame Mats; the number created is bounded by the frames in flight.</summary>
internal sealed class FramePool : IDisposable
{
    private readonly ConcurrentBag<Mat> _free = [];
    private int _created;
    private volatile bool _disposed;

    public int Created => Volatile.Read(ref _created);

    public Mat Rent()
    {
        if (_free.TryTake(out var mat))
        {
            return mat;
        }

        Interlocked.Increment(ref _created);
        return new Mat();
    }

    public void Return(Mat mat)
    {
        if (_disposed)
        {
            mat.Dispose();
            return;
        }

        _free.Add(mat);
    }

    public void Dispose()
    {
        _disposed = true;
        while (_free.TryTake(out var mat))
        {
            mat.Dispose();
        }
    }
}
