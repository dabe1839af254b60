using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OpenVocab.Detection;
using OpenVocab.Tests.Detection;
using OpenVocab.Video;
using Xunit.Abstractions;

namespace OpenVocab.Tests.Video;

/// <summary>
/// The pipeline in live mode over a real network stream: a loopback <c>ffmpeg</c> server (127.0.0.1 only) that the
/// tests start, kill and restart by process id.
/// </summary>
public class StreamPipelineTests(DetectorFixture fixture, ITestOutputHelper output) : IClassFixture<DetectorFixture>
{
    private static readonly bool HaveFfmpeg = File.Exists("/usr/bin/ffmpeg");

    private readonly Detector _detector = fixture.Detector;

    [Fact]
    public async Task A_killed_stream_server_is_reconnected_when_it_comes_back_on_the_same_port()
    {
        if (!HaveFfmpeg)
        {
            return;
        }

        var port = FreePort();
        var url = $"tcp://127.0.0.1:{port}";
        LoopbackStreamServer? server = LoopbackStreamServer.Start(port);
        LoopbackStreamServer? restarted = null;
        try
        {
            using var source = await OpenWhenListening(url);
            var logger = new ListLogger();
            var policy = new ReconnectPolicy { InitialDelay = TimeSpan.FromMilliseconds(200), Multiplier = 1.5, MaxDelay = TimeSpan.FromSeconds(1), MaxAttempts = 30 };
            var video = new VideoDetector(_detector, new VideoDetectorOptions { Reconnect = policy }, logger);
            video.SetClasses(_detector.CreateClassSet(MovingShapes.Classes));
            var events = new List<SourceReconnectEventArgs>();
            long readAtFailure = -1;
            video.Reconnecting += (_, e) =>
            {
                // Raised on the capture thread, which owns the source: every frame of the first server has been read.
                if (events.Count == 0)
                {
                    Volatile.Write(ref readAtFailure, source.FramesRead);
                }

                lock (events)
                {
                    events.Add(e);
                }
            };

            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var clock = Stopwatch.StartNew();
            TimeSpan killedAt = default, restartedAt = default, firstNewFrameAt = default;
            int before = 0, after = 0;
            await foreach (var r in video.RunAsync(source, limit.Token))
            {
                if (server is not null)
                {
                    if (++before == 10)
                    {
                        server.Kill();
                        server = null;
                        killedAt = clock.Elapsed;
                        // Stay down long enough for the first reopen attempt (0.2 s after the end) to be refused,
                        // even when starting its ffmpeg is slow on a loaded machine.
                        await Task.Delay(1500);
                        restarted = LoopbackStreamServer.Start(port);
                        restartedAt = clock.Elapsed;
                    }

                    continue;
                }

                var failedAt = Volatile.Read(ref readAtFailure);
                if (failedAt >= 0 && r.FrameIndex >= failedAt && ++after == 1)
                {
                    firstNewFrameAt = clock.Elapsed;
                }

                if (after == 10)
                {
                    break;
                }
            }

            var stats = video.Statistics!;
            output.WriteLine($"server killed at {killedAt.TotalMilliseconds:0} ms after 10 results, restarted at {restartedAt.TotalMilliseconds:0} ms, " +
                $"first frame from the new server at {firstNewFrameAt.TotalMilliseconds:0} ms ({(firstNewFrameAt - restartedAt).TotalMilliseconds:0} ms after the restart); " +
                $"{events.Count} reopen attempts: {string.Join("; ", events.Select(e => $"#{e.Attempt} after {e.Delay.TotalMilliseconds:0} ms: {e.Reason}"))}");
            output.WriteLine($"read {stats.FramesRead}, processed {stats.FramesProcessed}, dropped {stats.FramesDropped}, reconnects {stats.Reconnects}");
            Assert.Equal(10, after);
            Assert.NotEmpty(events);
            Assert.Equal(events.Count, stats.Reconnects);
            Assert.True(events.Count >= 2, "the server was down for 1.5 s, so the first reopen attempt should have been refused");
            Assert.Contains(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Message.Contains("reopening", StringComparison.Ordinal));
            Assert.True(stats.Completed);
            // The run leaves the source to its owner; disposing it stops the ffmpeg the reconnect started.
            var pid = source.ProcessId;
            source.Dispose();
            Assert.False(IsRunning(pid), $"ffmpeg {pid} is still running after the source was disposed");
        }
        finally
        {
            server?.Dispose();
            restarted?.Dispose();
        }
    }

    [Fact]
    public async Task Cancelling_a_stream_run_returns_promptly_and_leaves_no_ffmpeg_running()
    {
        if (!HaveFfmpeg)
        {
            return;
        }

        var port = FreePort();
        var url = $"tcp://127.0.0.1:{port}";
        using var server = LoopbackStreamServer.Start(port);
        using var source = await OpenWhenListening(url);
        var video = new VideoDetector(_detector);
        video.SetClasses(_detector.CreateClassSet(MovingShapes.Classes));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var pid = 0;
        var seen = 0;
        var clock = new Stopwatch();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var r in video.RunAsync(source, cts.Token))
            {
                if (++seen == 5)
                {
                    pid = source.ProcessId;
                    Assert.True(IsRunning(pid));
                    clock.Start();
                    await cts.CancelAsync();
                }
            }
        });
        clock.Stop();
        // Cancelling interrupted the blocked read by killing ffmpeg; the source stays the caller's, and disposing it
        // waits for the child to be gone.
        source.Dispose();
        output.WriteLine($"cancelled after {seen} results in {clock.Elapsed.TotalMilliseconds:0.0} ms; ffmpeg {pid} running afterwards: {IsRunning(pid)}");
        Assert.Equal(5, seen);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        Assert.False(IsRunning(pid), $"ffmpeg {pid} is still running");
        Assert.Empty(ClientsOf(port));
        Assert.True(video.Statistics!.Completed);
    }

    /// <summary>Opens the stream, retrying while the just-started server is not yet listening (bounded).</summary>
    private static async Task<StreamFrameSource> OpenWhenListening(string url)
    {
        // Probing the port would use up the single-client server, so open and retry on refusal instead.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return StreamFrameSource.Open(url, new StreamSourceOptions { OpenTimeout = TimeSpan.FromSeconds(5), StallTimeout = TimeSpan.FromSeconds(3) });
            }
            catch (VideoSourceException) when (clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>True while a process with this id exists and is not a zombie.</summary>
    private static bool IsRunning(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }

        var stat = $"/proc/{pid}/stat";
        if (Directory.Exists("/proc"))
        {
            try
            {
                // Field 3, after the parenthesised name, is the state; Z = exited but not yet reaped.
                var text = File.ReadAllText(stat);
                return text[(text.LastIndexOf(')') + 2)..][0] != 'Z';
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
            {
                return false;
            }
        }

        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Live processes whose command line reads a stream from this port as raw frames (our ffmpeg clients).</summary>
    private static List<int> ClientsOf(int port)
    {
        var found = new List<int>();
        if (!Directory.Exists("/proc"))
        {
            return found;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (args.Contains($"tcp://127.0.0.1:{port}") && args.Contains("pipe:1") && IsRunning(pid))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return found;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
