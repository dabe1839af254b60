namespace OpenVocab.Benchmarks;

/// <summary>Finds the repository (for the shipped pack and samples) from the benchmark binaries.</summary>
internal static class BenchmarkPaths
{
    public static string RepoRoot { get; } = Find();

    public static string ShapesPack => Path.Combine(RepoRoot, "models", "shapes");

    /// <summary>OpenAI's stock CLIP vocabulary, from the shared data folder beside the repository.</summary>
    public static string StockVocabulary => Path.Combine(RepoRoot, "..", "shared", "data", "clip", "bpe_simple_vocab_16e6.txt.gz");

    public static string SampleImage => Directory.GetFiles(Path.Combine(RepoRoot, "samples"), "*.jpg").Order(StringComparer.Ordinal).First();

    private static string Find()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "OpenVocab.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("Run the benchmarks from inside the OpenVocab repository.");
    }
}
