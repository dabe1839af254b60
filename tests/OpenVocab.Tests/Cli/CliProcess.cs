using System.Diagnostics;

namespace OpenVocab.Tests.Cli;

/// <summary>Runs the openvocab CLI as a separate process, the way users run it.</summary>
internal static class CliProcess
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "OpenVocab.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.RepoRoot };
        start.ArgumentList.Add(cli);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "openvocab did not finish within 2 minutes");
        return (process.ExitCode, stdout, stderr.Result);
    }
}
