using System.CommandLine;
using System.Globalization;
using OpenCvSharp;
using OpenVocab.Detection;
using OpenVocab.Drawing;
using OpenVocab.Imaging;

namespace OpenVocab.Cli.Commands;

/// <summary><c>openvocab detect IMAGE... --classes ...</c></summary>
internal static class DetectCommand
{
    public static Command Create()
    {
        var images = new Argument<string[]>("images") { Description = "Image files to run on.", Arity = ArgumentArity.OneOrMore };
        var pack = new PackOptions();
        var prompts = new PromptOptions();
        var iou = new Option<double>("--iou") { Description = "NMS IoU threshold.", DefaultValueFactory = _ => DetectionOptions.Default.IoU };
        var maxDet = new Option<int>("--max-det") { Description = "Maximum detections per image.", DefaultValueFactory = _ => DetectionOptions.Default.MaxDetections };
        var agnostic = new Option<bool>("--agnostic") { Description = "Class-agnostic NMS." };
        var save = new Option<string?>("--save") { Description = "Folder to write annotated images to." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document to stdout." };
        var device = SharedOptions.Device();

        var command = new Command("detect", "Detect objects named by text prompts or example images.") { images, pack.Model, pack.AllowExternalPaths, pack.Variant, iou, maxDet, agnostic, save, json, device };
        prompts.AddTo(command);
        command.SetAction(parse => CliHost.Run(() =>
        {
            var options = prompts.ApplyConfidence(parse, CliHost.Thresholds(() => new DetectionOptions
            {
                IoU = parse.GetValue(iou),
                MaxDetections = parse.GetValue(maxDet),
                Agnostic = parse.GetValue(agnostic),
            }));
            using var logging = CliHost.CreateLoggerFactory();
            using var detector = Detector.Load(pack.Load(parse), SharedOptions.Inference(parse.GetValue(device)), logging.CreateLogger("openvocab"));
            if (prompts.HasClasses(parse) || detector.IsOpenVocabulary)
            {
                if (!prompts.HasClasses(parse))
                {
                    throw new ArgumentException("No classes given: pass --classes \"red circle\" \"blue star\" (or one comma-separated string), or --class-image \"LABEL=FILE\".");
                }

                detector.SetClasses(detector.CreateClassSet(prompts.BuildPromptSet(parse)));
            }

            // Per-class thresholds must name classes being detected: checked here, before any image is read.
            detector.CheckOptions(options);

            var saveDir = parse.GetValue(save);
            if (saveDir is not null)
            {
                Directory.CreateDirectory(saveDir);
            }

            using var jsonResults = parse.GetValue(json) ? new JsonResults() : null;
            var failures = 0;
            foreach (var path in parse.GetValue(images)!)
            {
                DetectionResult result;
                try
                {
                    using var image = ImageLoader.Read(path);
                    result = detector.Detect(image, options);
                    if (saveDir is not null)
                    {
                        Annotator.Draw(image, result.Detections);
                        Cv2.ImWrite(OutputPath(saveDir, path), image);
                    }
                }
                catch (ImageDecodeException e)
                {
                    Console.Error.WriteLine($"error: {e.Message}");
                    failures++;
                    continue;
                }

                if (jsonResults is not null)
                {
                    DetectionJson.WriteResult(jsonResults.Writer, path, result);
                }
                else
                {
                    PrintText(path, result);
                }
            }

            return failures == 0 ? 0 : 1;
        }));
        return command;
    }

    /// <summary>Where an annotated copy goes: same name in the folder, as .jpg when OpenCV cannot write the original type.</summary>
    private static string OutputPath(string dir, string path) =>
        Path.Combine(dir, Cv2.HaveImageWriter(path) ? Path.GetFileName(path) : Path.GetFileNameWithoutExtension(path) + ".jpg");

    private static void PrintText(string path, DetectionResult r)
    {
        var t = r.Timings;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{path} ({r.Width}x{r.Height}): {r.Detections.Count} detections, {t.PreprocessMs:0.0} ms preprocess, {t.InferenceMs:0.0} ms inference, {t.PostprocessMs:0.0} ms postprocess"));
        foreach (var d in r.Detections)
        {
            var b = d.Box;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {d.Label,-24} {d.Score:0.000}  [{b.X1:0.0}, {b.Y1:0.0}, {b.X2:0.0}, {b.Y2:0.0}]{(d.Attribute is { } a ? $"  {a.Label} {a.Score:0.000}" : "")}"));
        }
    }
}
