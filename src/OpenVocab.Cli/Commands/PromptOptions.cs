using System.CommandLine;
using System.Globalization;
using OpenVocab.Detection;

namespace OpenVocab.Cli.Commands;

/// <summary>
/// The prompting options <c>detect</c> and <c>video</c> share: <c>--classes</c>, <c>--class-image "LABEL=FILE"</c>, <c>--not</c>,
/// <c>--attributes "CLASS: a, b"</c> and <c>--conf</c> (a global value and/or <c>"LABEL=VALUE"</c> per class).
/// Everything is parsed and checked before the detector runs, so a bad argument changes nothing.
/// </summary>
internal sealed class PromptOptions
{
    public Option<string[]> Classes { get; } = new("--classes", "-c")
    {
        Description = "Classes as text prompts: several arguments or one comma-separated string. Required for open-vocabulary packs (unless every class is given by --class-image); filters a closed-set pack by name.",
        AllowMultipleArgumentsPerToken = true,
    };

    public Option<string[]> ClassImages { get; } = new("--class-image")
    {
        Description = "An example image of a class, \"LABEL=FILE\" (repeatable; several per label are averaged). A label also in --classes gets text and images fused; otherwise the class is given by its images alone. Needs a pack with an image encoder.",
    };

    public Option<string[]> Negatives { get; } = new("--not")
    {
        Description = "Negative prompts: scored with the classes in the same pass, never reported; a box whose best prompt is a negative is dropped (\"mannequin, poster of a person\").",
        AllowMultipleArgumentsPerToken = true,
    };

    public Option<string[]> Attributes { get; } = new("--attributes")
    {
        Description = "Classify kept boxes of a class: \"CLASS: LABEL, LABEL, ...\" (repeatable, one per class), e.g. \"car: red car, blue car\". Needs a pack with an image encoder.",
    };

    public Option<string[]> Confidence { get; } = new("--conf")
    {
        Description = "Minimum score: a number for all classes, and/or \"LABEL=VALUE\" for one class (repeatable), e.g. --conf 0.3 --conf \"red star=0.4\".",
        AllowMultipleArgumentsPerToken = true,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Classes);
        command.Options.Add(ClassImages);
        command.Options.Add(Negatives);
        command.Options.Add(Attributes);
        command.Options.Add(Confidence);
    }

    /// <summary>True when the command line names any class (text or image).</summary>
    public bool HasClasses(ParseResult parse) => CliHost.SplitList(parse.GetValue(Classes), "--classes", "prompt").Length > 0 || (parse.GetValue(ClassImages)?.Length ?? 0) > 0;

    /// <summary>
    /// The prompt set the command line asks for: text classes in order, exemplars added to their label (a new,
    /// image-only class when the label is not in --classes), and attributes.
    /// </summary>
    /// <exception cref="ArgumentException">A malformed --class-image or --attributes value, or an unreadable exemplar.</exception>
    public PromptSet BuildPromptSet(ParseResult parse)
    {
        var names = CliHost.SplitList(parse.GetValue(Classes), "--classes", "prompt");
        var order = new List<string>(names);
        var images = new Dictionary<string, List<ImageExemplar>>(StringComparer.Ordinal);
        foreach (var value in CliHost.RequireText(parse.GetValue(ClassImages), "--class-image", "LABEL=FILE"))
        {
            var (label, file) = SplitPair(value, "--class-image", "\"red star=path/to/crop.png\"");
            if (!images.TryGetValue(label, out var list))
            {
                images[label] = list = [];
                if (!order.Contains(label, StringComparer.Ordinal))
                {
                    order.Add(label);
                }
            }

            list.Add(ImageExemplar.FromFile(file));
        }

        var text = new HashSet<string>(names, StringComparer.Ordinal);
        var classes = order.Select(label =>
        {
            var exemplars = images.GetValueOrDefault(label) ?? [];
            return text.Contains(label) ? new ClassPrompt(label) { Exemplars = exemplars } : ClassPrompt.FromExemplars(label, exemplars);
        }).ToArray();
        var attributes = CliHost.RequireText(parse.GetValue(Attributes), "--attributes", "CLASS: LABEL, ...").Select(AttributePrompt.Parse).ToArray();
        var negatives = CliHost.SplitList(parse.GetValue(Negatives), "--not", "negative prompt").Select(n => new ClassPrompt(n)).ToArray();
        return new PromptSet(classes) { Negatives = negatives, Attributes = attributes };
    }

    /// <summary><paramref name="defaults"/> with --conf applied: a bare number sets the global threshold, "LABEL=VALUE" one class's.</summary>
    /// <exception cref="ArgumentException">A value that is not a number, two global values, or a threshold out of [0, 1].</exception>
    public DetectionOptions ApplyConfidence(ParseResult parse, DetectionOptions defaults)
    {
        double? global = null;
        var perClass = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var value in CliHost.SplitList(parse.GetValue(Confidence), "--conf", "threshold"))
        {
            if (value.Contains('=', StringComparison.Ordinal))
            {
                var (label, number) = SplitPair(value, "--conf", "\"red star=0.4\"");
                if (!perClass.TryAdd(label, ParseThreshold(number, value)))
                {
                    throw new ArgumentException($"--conf gives class '{label}' two thresholds; give each class once.");
                }
            }
            else if (global is null)
            {
                global = ParseThreshold(value, value);
            }
            else
            {
                throw new ArgumentException($"--conf gives two global thresholds ({global.Value.ToString(CultureInfo.InvariantCulture)} and {value}); give one number, and \"LABEL=VALUE\" for single classes.");
            }
        }

        return CliHost.Thresholds(() => defaults with { Confidence = global ?? defaults.Confidence, ClassConfidence = perClass.Count > 0 ? perClass : defaults.ClassConfidence });
    }

    private static double ParseThreshold(string number, string value) =>
        double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d
            : throw new ArgumentException($"--conf '{value}' is not a number: expected a score in [0, 1] such as 0.3, or \"LABEL=VALUE\".");

    private static (string Label, string Value) SplitPair(string value, string option, string example)
    {
        var eq = value.IndexOf('=', StringComparison.Ordinal);
        var label = eq < 0 ? "" : value[..eq].Trim();
        var rest = eq < 0 ? "" : value[(eq + 1)..].Trim();
        if (label.Length == 0 || rest.Length == 0)
        {
            throw new ArgumentException($"{option} '{value}' is not LABEL=VALUE: expected e.g. {example}.");
        }

        return (label, rest);
    }
}
