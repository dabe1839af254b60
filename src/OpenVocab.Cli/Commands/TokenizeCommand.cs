using System.CommandLine;
using OpenVocab.Text;

namespace OpenVocab.Cli.Commands;

/// <summary><c>openvocab tokenize TEXT...</c>: prints CLIP token ids.</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var texts = new Argument<string[]>("texts") { Description = "Texts to tokenize.", Arity = ArgumentArity.OneOrMore };
        var pack = new PackOptions();
        var bpe = new Option<string?>("--bpe") { Description = "OpenAI-format BPE vocabulary (bpe_simple_vocab_16e6.txt[.gz]) instead of a pack's tokenizer." };
        var context = new Option<int?>("--context-length") { Description = "Context length (default: the pack's, or 77 with --bpe)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document to stdout." };
        var command = new Command("tokenize", "Print the CLIP token ids of texts (start and end tokens included, truncated to the context).")
        {
            texts, pack.Model, pack.AllowExternalPaths, pack.Variant, bpe, context, json,
        };
        command.SetAction(parse => CliHost.Run(() =>
        {
            var bpeFile = parse.GetValue(bpe);
            if (bpeFile is not null && parse.GetValue(pack.Model) is not null)
            {
                throw new ArgumentException("Give either --model or --bpe, not both.");
            }

            var tokenizer = bpeFile is not null
                ? ClipTokenizer.FromBpeFile(bpeFile, parse.GetValue(context) ?? 77)
                : ClipTokenizer.FromPack(pack.Load(parse), parse.GetValue(context));
            using var jsonResults = parse.GetValue(json) ? new JsonResults() : null;
            foreach (var text in parse.GetValue(texts)!)
            {
                var tokens = tokenizer.Tokenize(text);
                var writer = jsonResults?.Writer;
                if (writer is null)
                {
                    Console.WriteLine($"{text}: [{string.Join(", ", tokens.Ids)}]{(tokens.Truncated ? " (truncated)" : "")}");
                    continue;
                }

                writer.WriteStartObject();
                writer.WriteString("text", text);
                writer.WriteStartArray("ids");
                foreach (var id in tokens.Ids)
                {
                    writer.WriteNumberValue(id);
                }

                writer.WriteEndArray();
                writer.WriteBoolean("truncated", tokens.Truncated);
                writer.WriteEndObject();
            }

            return 0;
        }));
        return command;
    }
}
