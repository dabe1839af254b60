using OpenVocab.Detection;
using OpenVocab.Evaluation;

namespace OpenVocab.Tests.Detection;

/// <summary>
/// The prompting measurements of docs/prompting.md on the ShapesWorld detection eval set (240 scenes, 875 objects):
/// exemplar mAP, precision/recall of a class with and without negatives, attribute accuracy.
/// </summary>
internal static class PromptingMeasurements
{
    private static readonly string[] Colours = ["red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink"];

    /// <summary>mAP@0.5 (seen, held-out) with every class given by its first k exemplars, with or without its text (k = 0: text only).</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="k">Exemplars per class.</param>
    /// <param name="withText">Whether each class keeps its text too.</param>
    /// <param name="dataset">The scenes; the whole eval set when null.</param>
    public static (double Seen, double HeldOut) ExemplarMap(Detector detector, int k, bool withText, CocoDataset? dataset = null)
    {
        var names = ShapesWorld.AllClasses;
        var set = k == 0 ? detector.CreateClassSet(names) : detector.CreateClassSet(ShapesExemplars.Classes(names, k, withText));
        var report = DetectorEvaluation.Evaluate(detector, dataset ?? ShapesWorld.Dataset, ShapesWorld.Images, set);
        return (report.Seen!.MAP50, report.HeldOut!.MAP50);
    }

    /// <summary>
    /// Precision and recall of the positive classes at the default confidence (a detection is right when it has IoU >= 0.5
    /// with an unmatched ground-truth object of its class), with the given negatives competing.
    /// </summary>
    public static (double Precision, double Recall, int Detections) PrecisionRecall(Detector detector, string[] positives, string[] negatives, bool suppress = true)
    {
        var set = detector.CreateClassSet(new PromptSet([.. positives.Select(p => new ClassPrompt(p))]) { Negatives = [.. negatives.Select(n => new ClassPrompt(n))] });
        var options = new DetectionOptions { NegativesSuppress = suppress };
        var categories = ShapesWorld.Dataset.Categories.ToDictionary(c => c.Id, c => c.Name);
        int truePositives = 0, detections = 0, objects = 0;
        foreach (var image in ShapesWorld.Dataset.Images)
        {
            var truth = ShapesWorld.Dataset.Annotations.Where(a => a.ImageId == image.Id && positives.Contains(categories[a.CategoryId])).ToList();
            objects += truth.Count;
            var result = detector.Detect(Path.Combine(ShapesWorld.Images, image.FileName), options, set);
            foreach (var d in result.Detections)
            {
                detections++;
                var match = truth.FindIndex(t => categories[t.CategoryId] == d.Label && t.Box.ToBoundingBox().IoU(d.Box) >= 0.5f);
                if (match >= 0)
                {
                    truePositives++;
                    truth.RemoveAt(match);
                }
            }
        }

        return (detections == 0 ? 0 : (double)truePositives / detections, (double)truePositives / objects, detections);
    }

    /// <summary>
    /// Attributes: each shape is one class found by the prompts of all eight colours ("circle" = "red circle", ...,
    /// "pink circle"), and each kept box's colour is classified among "COLOUR SHAPE". Accuracy over the boxes that
    /// match a ground-truth object of their shape (IoU >= 0.5); also how often the detector's own best prompt would
    /// have been right, which the library does not report, for comparison.
    /// </summary>
    public static AttributeMeasurement AttributeAccuracy(Detector detector, CocoDataset? dataset = null)
    {
        dataset ??= ShapesWorld.Dataset;
        var shapes = ShapesWorld.AllClasses.Select(c => c.Split(' ')[1]).Distinct().ToArray();
        var set = detector.CreateClassSet(new PromptSet(PromptingTests.ShapeClasses(shapes))
        {
            Attributes = [.. shapes.Select(s => new AttributePrompt(s, [.. Colours.Select(c => $"{c} {s}")]))],
        });
        var categories = dataset.Categories.ToDictionary(c => c.Id, c => c.Name);
        int right = 0, boxes = 0, classified = 0;
        double detectMs = 0, attributesMs = 0;
        foreach (var image in dataset.Images)
        {
            var truth = dataset.Annotations.Where(a => a.ImageId == image.Id).ToList();
            var result = detector.Detect(Path.Combine(ShapesWorld.Images, image.FileName), classes: set);
            classified += result.Detections.Count(d => d.Attribute is not null);
            attributesMs += result.Timings.AttributesMs;
            detectMs += result.Timings.TotalMs - result.Timings.AttributesMs;
            foreach (var d in result.Detections)
            {
                var match = truth.FindIndex(t => categories[t.CategoryId].EndsWith(" " + d.Label, StringComparison.Ordinal) && t.Box.ToBoundingBox().IoU(d.Box) >= 0.5f);
                if (match < 0)
                {
                    continue;
                }

                boxes++;
                right += d.Attribute!.Label == categories[truth[match].CategoryId] ? 1 : 0;
                truth.RemoveAt(match);
            }
        }

        return new AttributeMeasurement((double)right / boxes, boxes, classified, detectMs, attributesMs);
    }

    /// <summary>What <see cref="AttributeAccuracy"/> measured, with the stage times summed over the scenes.</summary>
    /// <param name="Accuracy">Right colour attributes over matched boxes.</param>
    /// <param name="Boxes">Kept boxes that match an object of their shape.</param>
    /// <param name="Classified">Kept boxes given an attribute (matched or not).</param>
    /// <param name="DetectMs">Detect stages (preprocess, inference, postprocess), summed.</param>
    /// <param name="AttributesMs">The attribute stage (crops, image encoder, scoring), summed.</param>
    internal sealed record AttributeMeasurement(double Accuracy, int Boxes, int Classified, double DetectMs, double AttributesMs);

    /// <summary>Every other scene of the eval set (the even positions), with their annotations.</summary>
    public static CocoDataset EveryOtherScene()
    {
        var all = ShapesWorld.Dataset;
        var images = all.Images.Where((_, i) => i % 2 == 0).ToList();
        var ids = images.Select(i => i.Id).ToHashSet();
        return new CocoDataset(images, all.Categories, all.Annotations.Where(a => ids.Contains(a.ImageId)));
    }

    /// <summary>Circles of every colour against the rings of the same colours: the world's most confusable pairs.</summary>
    public static (string[] Positives, string[] Negatives) CirclesAndRings =>
        ([.. Colours.Select(c => $"{c} circle")], [.. Colours.Select(c => $"{c} ring")]);
}
