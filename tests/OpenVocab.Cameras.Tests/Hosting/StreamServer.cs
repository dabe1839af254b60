using System.Diagnostics;

namespace OpenVocab.Cameras.Tests.Hosting;

/// <summary>A single-client loopback mpegts server (ffmpeg's test pattern in real time) on a given port, stopped by its process id.</summary>
internal sealed class StreamServer : IDisposable
{
    private readonly Process _process;

    private StreamServer(Process process) => _process = process;

    public static bool Available => File.Exists("/usr/bin/ffmpeg");

    public static StreamServer Start(int port, int fps)
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
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return new StreamServer(process);
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
