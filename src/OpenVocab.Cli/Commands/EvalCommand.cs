using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OpenVocab.Detection;
using OpenVocab.Evaluation;

namespace OpenVocab.Cli.Commands;

/// <summary><c>openvocab eval --annotations FILE --images DIR</c>: COCO mAP of a pack on a dataset.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var pack = new PackOptions();
        var annotations = new Option<string>("--annotations") { Description = "COCO-format annotations (category names are the prompts).", Required = true };
        var images = new Option<string>("--images") { Description = "Folder the annotation file names are relative to.", Required = true };
        var conf = new Option<double>("--conf") { Description = "Minimum score.", DefaultValueFactory = _ => DetectorEvaluation.EvaluationOptions.Confidence };
        var iou = new Option<double>("--iou") { Description = "NMS IoU threshold.", DefaultValueFactory = _ => DetectorEvaluation.EvaluationOptions.IoU };
        var json = new Option<bool>("--json") { Description = "Print one JSON document to stdout." };
        var device = SharedOptions.Device();
        var command = new Command("eval", "COCO mAP@0.5 and mAP@[.5:.95] of a detector on an annotated image set (seen and held-out categories apart).")
        {
            pack.Model, pack.AllowExternalPaths, pack.Variant, annotations, images, conf, iou, json, device,
        };
        command.SetAction(parse => CliHost.Run(() =>
        {
            var options = CliHost.Thresholds(() => DetectorEvaluation.EvaluationOptions with { Confidence = parse.GetValue(conf), IoU = parse.GetValue(iou) });
            var dataset = CocoDataset.Load(parse.GetValue(annotations)!);
            using var logging = CliHost.CreateLoggerFactory();
            using var detector = Detector.Load(pack.Load(parse), SharedOptions.Inference(parse.GetValue(device)), logging.CreateLogger("openvocab"));
            DetectionEvaluationReport report;
            using (var bar = CliProgress.Start("eval", dataset.Images.Count))
            {
                report = DetectorEvaluation.Evaluate(detector, dataset, parse.GetValue(images)!, options, new SyncProgress(done => bar.Report(done)));
            }

            if (parse.GetValue(json))
            {
                WriteJson(report, dataset);
            }
            else
            {
                PrintText(report, dataset);
            }

            return 0;
        }));
        return command;
    }

    private static void PrintText(DetectionEvaluationReport report, CocoDataset dataset)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"{report.ImageCount} images, {dataset.Annotations.Count} objects, {dataset.Categories.Count} categories"));
        Console.WriteLine(string.Create(inv, $"all       mAP@0.5 {report.Metrics.MAP50:0.000}  mAP@[.5:.95] {report.Metrics.MAP50To95:0.000}"));
        if (report.Seen is { } seen)
        {
            Console.WriteLine(string.Create(inv, $"seen      mAP@0.5 {seen.MAP50:0.000}  mAP@[.5:.95] {seen.MAP50To95:0.000}  ({seen.Categories} categories)"));
        }

        if (report.HeldOut is { } held)
        {
            Console.WriteLine(string.Create(inv, $"held-out  mAP@0.5 {held.MAP50:0.000}  mAP@[.5:.95] {held.MAP50To95:0.000}  ({held.Categories} categories)"));
        }

        foreach (var category in dataset.Categories)
        {
            var m = report.Metrics[category.Id];
            if (m.IsValid)
            {
                Console.WriteLine(string.Create(inv, $"  {category.Name,-24}{(category.IsHeldOut ? " (held-out)" : "           ")} AP50 {m.AP50:0.000}  AP50-95 {m.AP50To95:0.000}  ({m.GroundTruthCount} objects)"));
            }
        }
    }

    private static void WriteJson(DetectionEvaluationReport report, CocoDataset dataset)
    {
        using var w = new Utf8JsonWriter(Console.OpenStandardOutput());
        w.WriteStartObject();
        w.WriteNumber("images", report.ImageCount);
        w.WriteNumber("map50", report.Metrics.MAP50);
        w.WriteNumber("map50_95", report.Metrics.MAP50To95);
        WriteSubset(w, "seen", report.Seen);
        WriteSubset(w, "heldOut", report.HeldOut);
        w.WriteStartArray("categories");
        foreach (var category in dataset.Categories)
        {
            var m = report.Metrics[category.Id];
            w.WriteStartObject();
            w.WriteNumber("id", category.Id);
            w.WriteString("name", category.Name);
            w.WriteBoolean("heldOut", category.IsHeldOut);
            w.WriteNumber("objects", m.GroundTruthCount);
            w.WriteNumber("ap50", m.AP50);
            w.WriteNumber("ap50_95", m.AP50To95);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        Console.WriteLine();
    }

    private static void WriteSubset(Utf8JsonWriter w, string name, SubsetMap? subset)
    {
        if (subset is null)
        {
            w.WriteNull(name);
            return;
        }

        w.WriteStartObject(name);
        w.WriteNumber("map50", subset.MAP50);
        w.WriteNumber("map50_95", subset.MAP50To95);
        w.WriteNumber("categories", subset.Categories);
        w.WriteEndObject();
    }

    /// <summary>Reports on the evaluation's own thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
