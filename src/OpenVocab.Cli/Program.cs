using System.CommandLine;
using System.CommandLine.Help;
using OpenVocab.Cli.Commands;

namespace OpenVocab.Cli;

internal static class Program
{
    /// <summary>The tool's name, as usage lines show it and users type it.</summary>
    public const string Name = "openvocab";

    private static int Main(string[] args)
    {
        var root = CreateRoot();
        string[] expanded;
        try
        {
            expanded = ResponseFiles.Expand(args);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        // Response files were expanded above, one argument per line; the parser's own expansion would split lines at spaces.
        var parse = root.Parse(expanded, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (Unrecognised(root, parse) is { } message)
        {
            Console.Error.WriteLine($"error: {message}");
            return 1;
        }

        return parse.Invoke();
    }

    /// <summary>
    /// The command tree. A plain <see cref="Command"/> named <see cref="Name"/> rather than a <see cref="RootCommand"/>,
    /// whose name is the entry assembly's ("OpenVocab.Cli") and cannot be set; help and version are added by hand.
    /// </summary>
    internal static Command CreateRoot() => new(Name, "openvocab: open-vocabulary object detection with runtime text prompts (CLIP + YOLO-World-style ONNX).")
    {
        DetectCommand.Create(),
        EvalCommand.Create(),
        TokenizeCommand.Create(),
        InfoCommand.Create(),
        ClassifyCommand.Create(),
        EmbedCommand.Create(),
        IndexCommand.Create(),
        SearchCommand.Create(),
        VideoCommand.Create(),
        CamerasCommand.Create(),
        ClusterCommand.Create(),
        BenchCommand.Create(),
        ServeCommand.Create(),
        ModelsCommand.Create(),
        new HelpOption(),
        new VersionOption(),
    };

    /// <summary>
    /// What the parser would let through wrongly: an unknown command (with <c>--help</c> the parser printed the root
    /// help and returned 0), or any argument a command does not take when <c>--help</c> clears the parse errors.
    /// </summary>
    internal static string? Unrecognised(Command root, ParseResult parse)
    {
        if (parse.UnmatchedTokens.Count == 0)
        {
            return null;
        }

        var first = parse.UnmatchedTokens[0];
        var command = parse.CommandResult.Command;
        if (command == root)
        {
            var known = string.Join(", ", root.Subcommands.Select(c => c.Name));
            return first.StartsWith('-')
                ? $"'{first}' is not an option of {Name}; the commands are: {known}. Run '{Name} --help' for what each does."
                : $"'{first}' is not an {Name} command; the commands are: {known}. Run '{Name} --help' for what each does.";
        }

        return parse.Action is HelpAction
            ? $"'{string.Join(' ', parse.UnmatchedTokens)}' is not an argument or option of '{Name} {command.Name}'; run '{Name} {command.Name} --help' alone for its usage."
            : null;
    }
}
