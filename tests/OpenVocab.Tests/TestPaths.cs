namespace OpenVocab.Tests;

/// <summary>Locates the repository (and ../shared beside it) from the test binaries.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The shipped ShapesWorld pack.</summary>
    public static string ShapesPack => Path.Combine(RepoRoot, "models", "shapes");

    /// <summary>Data shared beside the checkout (../shared/data).</summary>
    public static string SharedData => Path.Combine(Path.GetDirectoryName(RepoRoot)!, "shared", "data");

    public static string Samples => Path.Combine(RepoRoot, "samples");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OpenVocab.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"OpenVocab.sln not found above {AppContext.BaseDirectory}.");
    }
}

/// <summary>A temporary folder removed when the test ends.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "openvocab-tests-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on some platform; the OS temp cleaner takes it.
        }
    }
}
