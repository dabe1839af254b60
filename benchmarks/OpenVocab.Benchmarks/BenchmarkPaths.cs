namespace OpenVocab.Benchmarks;

/// <summary>What the benchmarks run on, found through the tests' <see cref="TestPaths"/> (compiled in from the test project).</summary>
internal static class BenchmarkPaths
{
    /// <summary>The first sample photo of the repository, by name.</summary>
    public static string SampleImage => Directory.GetFiles(TestPaths.Samples, "*.jpg").Order(StringComparer.Ordinal).First();
}
