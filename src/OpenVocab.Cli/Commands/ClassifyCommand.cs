using System.CommandLine;
using System.Globalization;
using OpenVocab.Classification;

namespace OpenVocab.Cli.Commands;

/// <summary><c>openvocab classify IMAGE... --labels ...</c>: CLIP zero-shot classification.</summary>
internal static class ClassifyCommand
{
    public static Command Create()
    {
        var images = new Argument<string[]>("images") { Description = "Image files to classify.", Arity = ArgumentArity.OneOrMore };
        var pack = new PackOptions();
        var labels = new Option<string[]>("--labels", "-l")
        {
            Description = "Labels to choose between (at least two): several arguments or one comma-separated string.",
            AllowMultipleArgumentsPerToken = true,
        };
        var template = new Option<string?>("--template", "-t") { Description = "Prompt template holding {} for the label (default \"a photo of a {}.\")." };
        var ensemble = new Option<bool>("--ensemble") { Description = "Average over the 80 ImageNet templates of the CLIP paper (with --template: that template is added to them)." };
        var topK = new Option<int?>("--top-k", "-k") { Description = "Predictions to print per image (default: all labels)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document to stdout." };
        var device = SharedOptions.Device();
        var command = new Command("classify", "Classify whole images zero-shot against text labels (CLIP).") { images, pack.Model, pack.AllowExternalPaths, pack.Variant, labels, template, ensemble, topK, json, device };
        command.SetAction(parse => CliHost.Run(() =>
        {
            string[] names = CliHost.SplitList(parse.GetValue(labels), "--labels", "label");
            var templates = new List<string>();
            if (parse.GetValue(template) is { } t)
            {
                templates.Add(t);
            }

            if (parse.GetValue(ensemble))
            {
                templates.AddRange(PromptTemplates.ImageNet80.Where(x => !templates.Contains(x)));
            }

            var options = new ZeroShotOptions { Templates = templates.Count > 0 ? templates : [PromptTemplates.Default], TopK = parse.GetValue(topK) };
            using var logging = CliHost.CreateLoggerFactory();
            using var classifier = ZeroShotClassifier.Load(pack.Load(parse),
                SharedOptions.Inference(parse.GetValue(device)), logging.CreateLogger("openvocab"));
            ZeroShotLabelSet set = classifier.CreateLabels(names, options);
            string[] files = parse.GetValue(images)!;
            IReadOnlyList<ZeroShotResult> results = classifier.ClassifyFiles(files, set, options.TopK);
            if (parse.GetValue(json))
            {
                using var document = new JsonResults();
                var writer = document.Writer;
                for (int i = 0; i < files.Length; i++)
                {
                    writer.WriteStartObject();
                    writer.WriteString("image", files[i]);
                    writer.WriteStartArray("predictions");
                    foreach (ZeroShotPrediction p in results[i].Predictions)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("label", p.Label);
                        writer.WriteNumber("score", Math.Round(p.Score, 6));
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }

                return 0;
            }

            for (int i = 0; i < files.Length; i++)
            {
                Console.WriteLine(files[i]);
                foreach (ZeroShotPrediction p in results[i].Predictions)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {p.Score,8:P2}  {p.Label}"));
                }
            }

            return 0;
        }));
        return command;
    }
}
