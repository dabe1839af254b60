namespace OpenVocab.Tests.Text;

/// <summary>Locates the repository root and the shared data folder (<c>../shared</c> beside the repository).</summary>
internal static class TextTestPaths
{
    private static readonly Lazy<string> SharedClip = new(FindSharedClip);
    private static readonly Lazy<string> Root = new(FindRepoRoot);

    /// <summary><c>shared/data/clip</c>: the stock CLIP vocabulary and the tokenizer golden file.</summary>
    public static string SharedClipDirectory => SharedClip.Value;

    /// <summary>The repository root (the folder holding OpenVocab.sln).</summary>
    public static string RepoRoot => Root.Value;

    public static string StockVocabulary => Path.Combine(SharedClipDirectory, "bpe_simple_vocab_16e6.txt.gz");

    public static string GoldenFile => Path.Combine(SharedClipDirectory, "tokenizer-golden.json");

    private static string FindSharedClip()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data", "clip");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"No 'shared/data/clip' folder above {AppContext.BaseDirectory}; the tests expect ../shared beside the repository.");
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OpenVocab.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No OpenVocab.sln above {AppContext.BaseDirectory}.");
    }
}
