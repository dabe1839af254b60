using System.CommandLine;
using System.Globalization;
using OpenVocab.Classification;

namespace OpenVocab.Cli.Commands;

/// <summary><c>openvocab embed (--text T... | --image I...)</c>: L2-normalised CLIP embeddings.</summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var pack = new PackOptions();
        var texts = new Option<string[]>("--text") { Description = "Texts to embed (used as given, no template).", AllowMultipleArgumentsPerToken = true };
        var images = new Option<string[]>("--image") { Description = "Image files to embed.", AllowMultipleArgumentsPerToken = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON document to stdout." };
        var device = SharedOptions.Device();
        var command = new Command("embed", "Print L2-normalised CLIP embeddings of texts or images.") { pack.Model, pack.AllowExternalPaths, pack.Variant, texts, images, json, device };
        command.SetAction(parse => CliHost.Run(() =>
        {
            string[] t = CliHost.RequireText(parse.GetValue(texts), "--text", "value");
            string[] i = parse.GetValue(images) ?? [];
            if ((t.Length == 0) == (i.Length == 0))
            {
                throw new ArgumentException("Give either --text T... or --image I... (one of them, not both).");
            }

            using var logging = CliHost.CreateLoggerFactory();
            using var clip = ZeroShotClassifier.Load(pack.Load(parse),
                SharedOptions.Inference(parse.GetValue(device)), logging.CreateLogger("openvocab"));
            string[] inputs = t.Length > 0 ? t : i;
            float[][] vectors = t.Length > 0 ? clip.EmbedText(t) : clip.EmbedImageFiles(i);
            if (parse.GetValue(json))
            {
                using var document = new JsonResults();
                var writer = document.Writer;
                for (int n = 0; n < inputs.Length; n++)
                {
                    writer.WriteStartObject();
                    writer.WriteString("input", inputs[n]);
                    writer.WriteStartArray("embedding");
                    foreach (float v in vectors[n])
                    {
                        writer.WriteNumberValue(v);
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }

                return 0;
            }

            for (int n = 0; n < inputs.Length; n++)
            {
                Console.WriteLine($"{inputs[n]}: [{string.Join(", ", vectors[n].Select(v => v.ToString("G6", CultureInfo.InvariantCulture)))}]");
            }

            return 0;
        }));
        return command;
    }
}
