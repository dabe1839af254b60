namespace OpenVocab.Cli;

/// <summary>
/// Expands <c>@FILE</c> arguments with one argument per line, so that a file of prompts written one per line gives
/// one prompt per line. System.CommandLine's own expansion splits every line at spaces (<c>blue square</c> became two
/// prompts), so it is switched off and this is the only rule:
/// <list type="bullet">
/// <item>each line is one argument, trimmed at both ends; spaces inside it are kept;</item>
/// <item>blank lines and lines starting with <c>#</c> are skipped;</item>
/// <item>a line starting with <c>-</c> is an option: its name, then, after the first spaces, at most one value
/// (the rest of the line), so <c>--conf 0.3</c> and <c>--classes red circle</c> work on one line;</item>
/// <item>one pair of double quotes around a whole argument is removed; no other quoting or escaping;</item>
/// <item>lines are not expanded again (an <c>@</c> in a file is literal), nor are arguments after <c>--</c>.</item>
/// </list>
/// The README's "Response files" section states the same rule; keep them together.
/// </summary>
internal static class ResponseFiles
{
    /// <summary>The arguments with every <c>@FILE</c> replaced by the arguments its lines hold.</summary>
    /// <exception cref="IOException">A response file is missing or unreadable; the message names it.</exception>
    public static string[] Expand(IReadOnlyList<string> args)
    {
        var expanded = new List<string>(args.Count);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                expanded.AddRange(args.Skip(i));
                break;
            }

            if (arg.Length < 2 || arg[0] != '@')
            {
                expanded.Add(arg);
                continue;
            }

            var file = arg[1..];
            string[] lines;
            try
            {
                lines = File.ReadAllLines(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                var reason = e is FileNotFoundException or DirectoryNotFoundException ? "does not exist" : $"could not be read ({e.Message})";
                throw new IOException($"response file '{file}' (from the argument '{arg}') {reason}.", e);
            }

            expanded.AddRange(lines.SelectMany(Arguments));
        }

        return [.. expanded];
    }

    /// <summary>The arguments one line of a response file holds.</summary>
    internal static IEnumerable<string> Arguments(string line)
    {
        var text = line.Trim();
        if (text.Length == 0 || text[0] == '#')
        {
            yield break;
        }

        if (text[0] == '-')
        {
            var space = text.IndexOfAny([' ', '\t']);
            if (space > 0)
            {
                yield return text[..space];
                yield return Unquote(text[space..].Trim());
                yield break;
            }
        }

        yield return Unquote(text);
    }

    private static string Unquote(string text) =>
        text.Length >= 2 && text[0] == '"' && text[^1] == '"' ? text[1..^1] : text;
}
