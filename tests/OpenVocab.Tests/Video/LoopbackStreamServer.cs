using System.Diagnostics;

namespace OpenVocab.Tests.Video;

/// <summary>
/// A single-client loopback mpegts server: ffmpeg's test pattern in real time on 127.0.0.1, stopped by its process id.
/// Shared by the stream pipeline tests and the cameras tests (linked into that project).
/// </summary>
internal sealed class LoopbackStreamServer : IDisposable
{
    private readonly Process _process;

    private LoopbackStreamServer(Process process) => _process = process;

    /// <summary>Whether Debian's ffmpeg is installed.</summary>
    public static bool Available => File.Exists("/usr/bin/ffmpeg");

    /// <summary>Starts a 320x240 test pattern at <paramref name="fps"/> that serves for at most 120 s.</summary>
    public static LoopbackStreamServer Start(int port, int fps = 25)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     "-nostdin", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", $"testsrc=size=320x240:rate={fps}", "-t", "120",
                     "-c:v", "mpeg2video", "-f", "mpegts", $"tcp://127.0.0.1:{port}?listen=1",
                 })
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start)!;
        // Drain stderr so a chatty server never blocks on a full pipe.
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return new LoopbackStreamServer(process);
    }

    /// <summary>Kills the server now and asserts that it exited.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        Assert.True(_process.WaitForExit(5000), $"server {_process.Id} did not exit");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        finally
        {
            _process.Dispose();
        }
    }
}
