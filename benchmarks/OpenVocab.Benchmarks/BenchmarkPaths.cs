namespace OpenVocab.Benchmarks;

/// <summary>Finds the repository (for the shipped pack and samples) from the benchmark binaries.</summary>
internal static class BenchmarkPaths
{
    public static string RepoRoot { get; } = Find();

    public static string ShapesPack => Path.Combine(RepoRoot, "models", "shapes");

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
