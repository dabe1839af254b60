namespace OpenVocab.Benchmarks;

internal static class Program
{
    private static void Main(string[] args)
    {
        // "cameras" is a load run over seconds, not a BenchmarkDotNet suite.
        if (args.Length > 0 && args[0] == "cameras")
        {
            CamerasLoad.Run(args[1..]);
            return;
        }

        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
