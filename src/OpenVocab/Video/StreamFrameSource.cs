using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using OpenCvSharp;

namespace OpenVocab.Video;

/// <summary>
/// A network stream (a URL with one of the <see cref="Schemes"/>) decoded by a child <c>ffmpeg</c> process that writes raw
/// BGR frames to a pipe: the bundled OpenCV FFmpeg has no networking, and a process can always be killed when a
/// stream hangs. A watchdog kills the child when no frame arrives for <see cref="StreamSourceOptions.StallTimeout"/>.
/// Not thread-safe, except <see cref="Dispose"/>, which may be called from any thread to stop a blocked read.
/// </summary>
public sealed partial class StreamFrameSource : IFrameSource, IInterruptibleSource
{
    private readonly StreamSourceOptions _options;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Queue<string> _stderrTail = new();
    private Process? _process;
    private Stream? _stdout;
    private TaskCompletionSource<(int W, int H, double Fps)>? _header;
    private Timer? _watchdog;
    private long _lastProgressTicks;
    private volatile bool _killedByWatchdog;
    private volatile bool _disposed;
    private long _nextIndex;
    private int _processId;

    private StreamFrameSource(string url, StreamSourceOptions options)
    {
        Name = url;
        _options = options;
        Start();
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int Width { get; private set; }

    /// <inheritdoc/>
    public int Height { get; private set; }

    /// <inheritdoc/>
    public double Fps { get; private set; }

    /// <summary>Always null: a stream has no known length.</summary>
    public long? FrameCount => null;

    /// <inheritdoc/>
    public bool IsLive => true;

    /// <inheritdoc/>
    public long FramesRead { get; private set; }

    /// <summary>Always 0: ffmpeg drops undecodable data itself.</summary>
    public long FramesSkipped => 0;

    /// <summary>Id of the current (or last) ffmpeg child, so tests can check that it is gone; 0 before the first start.</summary>
    internal int ProcessId => Volatile.Read(ref _processId);

    /// <summary>The URL schemes this source reads (through ffmpeg), lower-case; a URL's scheme matches case-insensitively.</summary>
    public static IReadOnlyList<string> Schemes { get; } = Array.AsReadOnly(["rtsp", "rtsps", "http", "https", "tcp", "udp", "rtmp", "rtmps", "srt"]);

    /// <summary>True when the spec is a URL with one of the <see cref="Schemes"/>.</summary>
    public static bool IsStreamUrl(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var colon = spec.IndexOf("://", StringComparison.Ordinal);
        return colon > 0 && Schemes.Contains(spec[..colon].ToLowerInvariant());
    }

    /// <summary>Starts ffmpeg on <paramref name="url"/> and waits until the frame size is known.</summary>
    /// <exception cref="VideoSourceException">ffmpeg is missing, or the stream did not open within the open timeout.</exception>
    public static StreamFrameSource Open(string url, StreamSourceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        options ??= new StreamSourceOptions();
        if (!IsStreamUrl(url))
        {
            throw new ArgumentException($"'{url}' is not a stream URL ({string.Join(", ", Schemes)}).", nameof(url));
        }

        if (options.Width is null != options.Height is null || options.Width <= 0 || options.Height <= 0)
        {
            throw new ArgumentException("Give both Width and Height (positive) to scale the stream, or neither.", nameof(options));
        }

        return new StreamFrameSource(url, options);
    }

    /// <inheritdoc/>
    public unsafe bool Read(Mat destination, out FrameInfo frame)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var stdout = _stdout ?? throw new VideoSourceException($"Stream '{Name}' is not open.");
        if (destination.Rows != Height || destination.Cols != Width || destination.Type() != MatType.CV_8UC3 || !destination.IsContinuous())
        {
            destination.Create(Height, Width, MatType.CV_8UC3);
        }

        var span = new Span<byte>((void*)destination.Data, checked(Width * Height * 3));
        var filled = 0;
        while (filled < span.Length)
        {
            int n;
            try
            {
                n = stdout.Read(span[filled..]);
            }
            catch (IOException e)
            {
                throw Failure("reading failed", e);
            }

            if (n == 0)
            {
                if (_killedByWatchdog)
                {
                    throw Failure($"no frame data came for {_options.StallTimeout.TotalSeconds:0.#} s; ffmpeg was stopped", null);
                }

                ObjectDisposedException.ThrowIf(_disposed, this);

                var process = _process!;
                process.WaitForExit(2000);
                if (filled == 0 && process.HasExited && process.ExitCode == 0)
                {
                    frame = default;
                    return false;
                }

                throw Failure(filled == 0 ? "the stream ended" : "the stream ended inside a frame", null);
            }

            filled += n;
            Volatile.Write(ref _lastProgressTicks, _clock.Elapsed.Ticks);
        }

        FramesRead++;
        frame = new FrameInfo(_nextIndex++, _clock.Elapsed);
        return true;
    }

    /// <inheritdoc/>
    public void Reopen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Stop();
        Start();
    }

    /// <inheritdoc/>
    public void Interrupt() => Kill();

    /// <summary>Stops ffmpeg; a read blocked on another thread returns.</summary>
    public void Dispose()
    {
        _disposed = true;
        Stop();
    }

    private void Start()
    {
        var psi = new ProcessStartInfo(_options.FfmpegPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var arg in Arguments())
        {
            psi.ArgumentList.Add(arg);
        }

        _killedByWatchdog = false;
        _header = new TaskCompletionSource<(int, int, double)>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_stderrTail)
        {
            _stderrTail.Clear();
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new VideoSourceException($"ffmpeg ('{_options.FfmpegPath}') did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new VideoSourceException($"Network streams need ffmpeg, and '{_options.FfmpegPath}' could not be started ({e.Message}): install the 'ffmpeg' package.", e);
        }

        _process = process;
        Volatile.Write(ref _processId, process.Id);
        _stdout = process.StandardOutput.BaseStream;
        var header = _header;
        _ = Task.Run(() => PumpStderr(process, header));
        Volatile.Write(ref _lastProgressTicks, _clock.Elapsed.Ticks);
        _watchdog = new Timer(_ => Watch(), null, 200, 200);

        (int W, int H, double Fps) size;
        try
        {
            if (!header.Task.Wait(_options.OpenTimeout))
            {
                throw Failure($"did not open within {_options.OpenTimeout.TotalSeconds:0.#} s", null);
            }

            size = header.Task.Result;
        }
        catch (AggregateException e) when (e.InnerException is VideoSourceException inner)
        {
            Stop();
            throw inner;
        }
        catch
        {
            Stop();
            throw;
        }

        if (Width != 0 && (size.W != Width || size.H != Height))
        {
            Stop();
            throw new VideoSourceException($"Stream '{Name}' came back as {size.W}x{size.H} instead of {Width}x{Height}; give StreamSourceOptions.Width/Height to scale it.");
        }

        Width = size.W;
        Height = size.H;
        Fps = size.Fps;
    }

    private List<string> Arguments()
    {
        var timeoutUs = ((long)_options.StallTimeout.TotalMicroseconds).ToString(CultureInfo.InvariantCulture);
        var args = new List<string> { "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info" };
        var scheme = Name[..Name.IndexOf("://", StringComparison.Ordinal)].ToLowerInvariant();
        switch (scheme)
        {
            case "rtsp" or "rtsps":
                args.AddRange(["-rtsp_transport", _options.RtspTransport, "-timeout", timeoutUs]);
                break;
            case "udp":
                args.AddRange(["-timeout", timeoutUs]);
                break;
            default:
                args.AddRange(["-rw_timeout", timeoutUs]);
                break;
        }

        if (_options.FastProbe)
        {
            args.AddRange(["-probesize", "32768", "-analyzeduration", "100000"]);
        }

        args.AddRange(["-i", Name, "-an", "-sn"]);
        if (_options.Width is { } w && _options.Height is { } h)
        {
            args.AddRange(["-vf", string.Create(CultureInfo.InvariantCulture, $"scale={w}:{h}")]);
        }

        args.AddRange(["-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1"]);
        return args;
    }

    private void PumpStderr(Process process, TaskCompletionSource<(int, int, double)> header)
    {
        var inOutput = false;
        try
        {
            while (process.StandardError.ReadLine() is { } line)
            {
                lock (_stderrTail)
                {
                    _stderrTail.Enqueue(line);
                    if (_stderrTail.Count > 20)
                    {
                        _stderrTail.Dequeue();
                    }
                }

                if (line.StartsWith("Output #0", StringComparison.Ordinal))
                {
                    inOutput = true;
                }
                else if (inOutput && !header.Task.IsCompleted && OutputStream().Match(line) is { Success: true } m)
                {
                    var fps = FpsPattern().Match(line) is { Success: true } f ? double.Parse(f.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
                    header.TrySetResult((int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), fps));
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process is being torn down.
        }

        header.TrySetException(Failure("ended before its first frame", null));
    }

    private void Watch()
    {
        var last = new TimeSpan(Volatile.Read(ref _lastProgressTicks));
        var limit = _header is { Task.IsCompleted: false } ? _options.OpenTimeout : _options.StallTimeout;
        if (_clock.Elapsed - last > limit && _process is { HasExited: false })
        {
            _killedByWatchdog = true;
            Kill();
        }
    }

    private void Kill()
    {
        try
        {
            _process?.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    private void Stop()
    {
        _watchdog?.Dispose();
        _watchdog = null;
        var process = _process;
        if (process is null)
        {
            return;
        }

        Kill();
        process.WaitForExit(2000);
        process.Dispose();
        _process = null;
        _stdout = null;
    }

    private VideoSourceException Failure(string what, Exception? inner)
    {
        string tail;
        lock (_stderrTail)
        {
            tail = string.Join(" | ", _stderrTail.Where(l => !l.StartsWith(' ')).TakeLast(3));
        }

        var message = $"Stream '{Name}' {what}{(tail.Length > 0 ? $" (ffmpeg: {tail})" : "")}.";
        return inner is null ? new VideoSourceException(message) : new VideoSourceException(message, inner);
    }

    [GeneratedRegex(@"^\s*Stream #0:0.*Video: rawvideo.*?, (\d+)x(\d+)")]
    private static partial Regex OutputStream();

    [GeneratedRegex(@", (\d+(?:\.\d+)?) fps")]
    private static partial Regex FpsPattern();
}
