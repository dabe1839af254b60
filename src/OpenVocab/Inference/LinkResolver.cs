namespace OpenVocab.Inference;

/// <summary>
/// Follows symbolic links in every part of a path, as the operating system does when it opens the file. Packs need
/// the real location to tell whether a file stays inside the pack folder (a link in a folder part moves the file as
/// surely as one at the end, and <see cref="File.ResolveLinkTarget(string, bool)"/> follows only the last part), and
/// a link loop must be named in plain words before ONNX Runtime reports it as "system error number 40".
/// </summary>
internal static class LinkResolver
{
    /// <summary>Links followed before the path counts as a loop: Linux's own limit (MAXSYMLINKS).</summary>
    public const int MaxLinks = 40;

    /// <summary>
    /// The absolute form of <paramref name="path"/> with every link followed, or null when following the links loops
    /// (or passes more than <see cref="MaxLinks"/> links). The result need not exist: a dangling link resolves to its
    /// missing target, which the caller reports.
    /// </summary>
    public static string? Resolve(string path)
    {
        var full = Path.GetFullPath(path);
        var current = Path.GetPathRoot(full)!;
        var pending = new Stack<string>();
        PushParts(pending, full[current.Length..]);
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                // A link's target may climb out of the folder the link sits in; the path above is already resolved.
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var next = Path.Join(current, part);
            var target = LinkTarget(next);
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                return null;
            }

            // A relative target is relative to the link's own folder, which is where `current` stands.
            if (Path.IsPathRooted(target))
            {
                var absolute = Path.GetFullPath(target);
                current = Path.GetPathRoot(absolute)!;
                target = absolute[current.Length..];
            }

            PushParts(pending, target);
        }

        return current;
    }

    /// <summary>Whether <paramref name="file"/> (already resolved) lies inside <paramref name="folder"/> (already resolved), at any depth.</summary>
    public static bool IsInside(string file, string folder)
    {
        // Case-insensitive where the usual file systems are (Windows, macOS); exact on Linux.
        var comparison = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        var prefix = Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar;
        return file.StartsWith(prefix, comparison);
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not readable as a link (a folder we may not list): opening the file reports the real problem.
            return null;
        }
    }

    private static void PushParts(Stack<string> pending, string relative)
    {
        var parts = relative.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        for (var i = parts.Length - 1; i >= 0; i--)
        {
            pending.Push(parts[i]);
        }
    }
}
