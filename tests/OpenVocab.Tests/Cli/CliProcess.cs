using System.Diagnostics;

namespace OpenVocab.Tests.Cli;

/// <summary>Runs the openvocab CLI as a separate process, the way users run it.</summary>
internal static class CliProcess
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args) => RunWithEnvironment(new Dictionary<string, string>(), args);

    /// <summary>Runs the CLI with extra environment variables (e.g. a loopback HF_ENDPOINT and a temporary cache).</summary>
    public static (int Code, string Stdout, string Stderr) RunWithEnvironment(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "OpenVocab.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.RepoRoot };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

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
