using System.CommandLine;
using System.Globalization;
using OpenVocab.Classification;
using OpenVocab.Imaging;
using OpenVocab.Search;

namespace OpenVocab.Cli.Commands;

/// <summary><c>openvocab search FILE (--text T | --image I)</c>: exact top-k search in an image index.</summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var indexFile = new Argument<string>("index") { Description = "Index file made by 'openvocab index'." };
        var text = new Option<string?>("--text") { Description = "Text query (used as given, e.g. \"a photo of a red heart.\")." };
        var image = new Option<string?>("--image") { Description = "Example image query." };
        var topK = new Option<int>("--top-k", "-k") { Description = "Results to return.", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print one JSON document to stdout." };
        var pack = new PackOptions();
        var device = SharedOptions.Device();
        var command = new Command("search", "Find the images of an index closest to a text or an example image.") { indexFile, text, image, topK, json, pack.Model, pack.AllowExternalPaths, pack.Variant, device };
        command.SetAction(parse => CliHost.Run(() =>
        {
            string? t = parse.GetValue(text);
            string? i = parse.GetValue(image);
            if ((t is null) == (i is null))
            {
                throw new ArgumentException("Give either --text T or --image I (one of them, not both).");
            }

            if (t is not null)
            {
                CliHost.RequireText([t], "--text", "value");
            }

            using var logging = CliHost.CreateLoggerFactory();
            using var clip = ZeroShotClassifier.Load(pack.Load(parse),
                SharedOptions.Inference(parse.GetValue(device)), logging.CreateLogger("openvocab"));
            ImageIndex index = ImageIndex.Load(parse.GetValue(indexFile)!, clip.ImageEncoder.Identity);
            IReadOnlyList<ImageSearchHit> hits;
            if (t is not null)
            {
                hits = index.SearchText(clip.TextEncoder, t, parse.GetValue(topK));
            }
            else
            {
                using var mat = ImageLoader.Read(i!);
                hits = index.SearchImage(clip.ImageEncoder, mat, parse.GetValue(topK));
            }

            if (parse.GetValue(json))
            {
                using var document = new JsonResults();
                var writer = document.Writer;
                foreach (ImageSearchHit h in hits)
                {
                    writer.WriteStartObject();
                    writer.WriteString("path", h.Path);
                    writer.WriteNumber("score", Math.Round(h.Score, 6));
                    writer.WriteEndObject();
                }

                return 0;
            }

            foreach (ImageSearchHit h in hits)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{h.Score,8:F4}  {h.Path}"));
            }

            return 0;
        }));
        return command;
    }
}
