using System.Diagnostics;
using OpenCvSharp;
using OpenVocab.Video;

namespace OpenVocab.Cameras.Hosting;

/// <summary>
/// A file or image folder played like a camera: at its own frame rate (realtime) and/or over and over (loop), with
/// frame indices and timestamps that keep counting across loops. Not thread-safe, like every frame source.
/// </summary>
internal sealed class ReplayFrameSource : IFrameSource
{
    private readonly Func<IFrameSource> _open;
    private readonly bool _realtime, _loop;
    private readonly Stopwatch _clock = new();
    private IFrameSource _inner;
    private long _offset;
    private TimeSpan _timeOffset;
    private long _lastIndex = -1;
    private TimeSpan _lastTime;

    public ReplayFrameSource(Func<IFrameSource> open, bool realtime, bool loop)
    {
        _open = open;
        _realtime = realtime;
        _loop = loop;
        _inner = open();
    }

    public string Name => _inner.Name;

    public int Width => _inner.Width;

    public int Height => _inner.Height;

    public double Fps => _inner.Fps;

    public long? FrameCount => _loop ? null : _inner.FrameCount;

    // Not live to the pipeline: its end is an end, not a failure to reconnect from. The camera picks live mode itself.
    public bool IsLive => false;

    public long FramesRead { get; private set; }

    public long FramesSkipped => _inner.FramesSkipped;

    public bool Read(Mat destination, out FrameInfo frame)
    {
        while (!_inner.Read(destination, out frame))
        {
            if (!_loop || _lastIndex < 0)
            {
                return false; // an empty file never loops
            }

            _offset = _lastIndex + 1;
            _timeOffset = _lastTime + TimeSpan.FromSeconds(1 / (Fps > 0 ? Fps : 25));
            _inner.Dispose();
            _inner = _open();
        }

        frame = new FrameInfo(frame.Index + _offset, frame.Timestamp + _timeOffset);
        _lastIndex = frame.Index;
        _lastTime = frame.Timestamp;
        FramesRead++;
        if (_realtime)
        {
            if (!_clock.IsRunning)
            {
                _clock.Start();
            }

            var wait = frame.Timestamp - _clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                Thread.Sleep(wait);
            }
        }

        return true;
    }

    public void Reopen()
    {
        _inner.Dispose();
        _inner = _open();
        _offset = _lastIndex + 1;
    }

    public void Dispose() => _inner.Dispose();
}
