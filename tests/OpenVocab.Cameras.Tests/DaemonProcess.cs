using System.Diagnostics;
using System.Text;

namespace OpenVocab.Cameras.Tests;

/// <summary>
/// A server process a test starts (a broker, a Redis, a silo): its output drained into <see cref="Log"/>, tracked by
/// process id, started again on request, and killed with SIGKILL on request and in <see cref="Dispose"/>, also when
/// the test fails. Waiting for it to listen is the caller's: each server has its own port.
/// </summary>
internal sealed class DaemonProcess(string path, IEnumerable<string> arguments, string? workingDirectory = null) : IDisposable
{
    private readonly string[] _arguments = [.. arguments];
    private readonly StringBuilder _log = new();
    private Process? _process;

    /// <summary>Whether the process has exited (or never started).</summary>
    public bool HasExited => _process is null || _process.HasExited;

    /// <summary>Its exit code, once it has exited.</summary>
    public int ExitCode => _process is { HasExited: true } p ? p.ExitCode : 0;

    /// <summary>What it wrote to stdout and stderr so far.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the process (again, after it exited).</summary>
    public void Start()
    {
        Assert.True(HasExited, $"{Path.GetFileName(path)} is still running");
        _process?.Dispose();
        var start = new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var a in _arguments)
        {
            start.ArgumentList.Add(a);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>SIGKILL: no clean shutdown, as in a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            Assert.True(p.WaitForExit(10_000), $"{Path.GetFileName(path)} ({p.Id}) did not exit");
        }
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        finally
        {
            _process?.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
