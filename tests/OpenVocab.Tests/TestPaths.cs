namespace OpenVocab.Tests;

/// <summary>
/// Locates the repository (and ../shared beside it) from the test or benchmark binaries: the one place that knows the
/// layout. The benchmarks compile this file too (linked from their project), so both find the repository the same way.
/// </summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The shipped ShapesWorld pack.</summary>
    public static string ShapesPack => Path.Combine(RepoRoot, "models", "shapes");

    public static string Samples => Path.Combine(RepoRoot, "samples");

    /// <summary>Data shared beside the checkout (../shared/data).</summary>
    public static string SharedData => Path.Combine(Path.GetDirectoryName(RepoRoot)!, "shared", "data");

    /// <summary><c>../shared/data/clip</c>: OpenAI's stock CLIP vocabulary and the tokenizer golden file.</summary>
    public static string SharedClip => Path.Combine(SharedData, "clip");

    /// <summary>OpenAI's stock CLIP vocabulary, <c>bpe_simple_vocab_16e6.txt.gz</c>.</summary>
    public static string StockVocabulary => Path.Combine(SharedClip, "bpe_simple_vocab_16e6.txt.gz");

    /// <summary>The folder holding OpenVocab.sln above the binaries; above the working folder when the binaries were
    /// copied elsewhere (BenchmarkDotNet builds and runs its own copy of the benchmark project).</summary>
    private static string FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "OpenVocab.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException($"OpenVocab.sln not found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}: run from inside the OpenVocab repository.");
    }
}
