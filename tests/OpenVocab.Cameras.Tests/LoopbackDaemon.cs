namespace OpenVocab.Cameras.Tests;

/// <summary>
/// A real server (a broker, a Redis) that a test runs on a free 127.0.0.1 port with a temporary folder of its own:
/// started and restarted on the same port and folder, killed with SIGKILL on request, and in <see cref="Dispose"/>
/// killed and its folder deleted, also when the test fails. Not thread-safe: one test drives it.
/// </summary>
internal abstract class LoopbackDaemon : IDisposable
{
    private readonly DaemonProcess _process;

    /// <param name="path">The server's executable.</param>
    /// <param name="folderPrefix">Prefix of its temporary folder's name.</param>
    /// <param name="arguments">Its command line, from the port and folder chosen for it.</param>
    protected LoopbackDaemon(string path, string folderPrefix, Func<int, string, IEnumerable<string>> arguments)
    {
        Port = Loopback.FreePort();
        Folder = Directory.CreateTempSubdirectory(folderPrefix).FullName;
        _process = new DaemonProcess(path, arguments(Port, Folder));
    }

    public int Port { get; }

    /// <summary>The server's own folder (config, persistence), deleted with it.</summary>
    protected string Folder { get; }

    /// <summary>Starts the server (again) on the same port with the same folder, and waits until it listens.</summary>
    public void Restart()
    {
        _process.Start();
        Loopback.WaitForListener(Port, TimeSpan.FromSeconds(10));
    }

    /// <summary>Kills the server (SIGKILL): no clean shutdown, as in a crash.</summary>
    public void Kill() => _process.Kill();

    public void Dispose()
    {
        try
        {
            _process.Dispose();
        }
        finally
        {
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // A file still being written by the dying server: the temp folder is cleaned up later.
            }
        }
    }
}
