using OpenVocab.Detection;

namespace OpenVocab.Evaluation;

/// <summary>Runs a detector over a COCO dataset through the public API, with the category names as class prompts.</summary>
public static class DetectorEvaluation
{
    /// <summary>Thresholds for mAP as ultralytics' validator uses them: a very low confidence, IoU 0.7, 300 detections.</summary>
    public static DetectionOptions EvaluationOptions { get; } = new() { Confidence = 0.001, IoU = 0.7, MaxDetections = 300 };

    /// <summary>Detects every image of <paramref name="dataset"/> (files under <paramref name="imagesDirectory"/>) and scores the result.</summary>
    /// <param name="detector">The detector; its default classes are left untouched.</param>
    /// <param name="dataset">Ground truth; category names are the prompts.</param>
    /// <param name="imagesDirectory">Folder the dataset's file names are relative to.</param>
    /// <param name="options">Thresholds; <see cref="EvaluationOptions"/> when null.</param>
    /// <param name="progress">Receives the count of images done.</param>
    /// <exception cref="ImageDecodeException">An image of the dataset is missing or unreadable.</exception>
    public static DetectionEvaluationReport Evaluate(Detector detector, CocoDataset dataset, string imagesDirectory,
        DetectionOptions? options = null, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(dataset);
        return Evaluate(detector, dataset, imagesDirectory, detector.CreateClassSet([.. dataset.Categories.Select(c => c.Name)]), options, progress);
    }

    /// <summary>
    /// Detects every image of <paramref name="dataset"/> with a class set of the caller's (prompts given by example
    /// images, synonyms, negatives) whose labels are category names, and scores the result.
    /// </summary>
    /// <param name="detector">The detector; its default classes are left untouched.</param>
    /// <param name="dataset">Ground truth.</param>
    /// <param name="imagesDirectory">Folder the dataset's file names are relative to.</param>
    /// <param name="classes">Classes made by <paramref name="detector"/>; every label must be a category name.</param>
    /// <param name="options">Thresholds; <see cref="EvaluationOptions"/> when null.</param>
    /// <param name="progress">Receives the count of images done.</param>
    /// <exception cref="ArgumentException">A label of <paramref name="classes"/> names no category.</exception>
    /// <exception cref="ImageDecodeException">An image of the dataset is missing or unreadable.</exception>
    public static DetectionEvaluationReport Evaluate(Detector detector, CocoDataset dataset, string imagesDirectory, ClassSet classes,
        DetectionOptions? options = null, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentException.ThrowIfNullOrWhiteSpace(imagesDirectory);
        var categories = dataset.Categories;
        // Labels, not class indices, lead back to categories: closed-set detectors report model class ids.
        var categoryByLabel = categories.ToDictionary(c => c.Name.Trim(), c => c.Id, StringComparer.Ordinal);
        foreach (var label in classes.Labels)
        {
            if (!categoryByLabel.ContainsKey(label))
            {
                throw new ArgumentException($"Class '{label}' names no category of the dataset; every label must be a category name.", nameof(classes));
            }
        }
        var detections = new List<CocoDetection>();
        var done = 0;
        foreach (var image in dataset.Images)
        {
            var result = detector.Detect(Path.Combine(imagesDirectory, image.FileName), options ?? EvaluationOptions, classes);
            foreach (var d in result.Detections)
            {
                detections.Add(new CocoDetection(image.Id, categoryByLabel[d.Label], CocoBox.FromBoundingBox(d.Box), d.Score));
            }

            progress?.Report(++done);
        }

        var metrics = CocoEvaluator.Evaluate(dataset, detections);
        return new DetectionEvaluationReport(metrics,
            Subset(metrics, categories.Where(c => !c.IsHeldOut)),
            Subset(metrics, categories.Where(c => c.IsHeldOut)),
            dataset.Images.Count);
    }

    private static SubsetMap? Subset(CocoMetrics metrics, IEnumerable<CocoCategory> categories)
    {
        var ids = categories.Select(c => c.Id).Where(id => metrics[id].IsValid).ToArray();
        return ids.Length == 0 ? null : new SubsetMap(metrics.MeanAP50(ids), metrics.MeanAP50To95(ids), ids.Length);
    }
}
