using OpenVocab.Cameras.Configuration;
using OpenVocab.Detection;

namespace OpenVocab.Cameras.Hosting;

/// <summary>
/// A camera's classes as the detector needs them: the class set (prompts encoded once), the per-label thresholds, and
/// the options the detector runs with (the lowest threshold; each label's own is applied afterwards). Immutable, so a
/// re-class swaps one reference and a frame never sees half of the change.
/// </summary>
internal sealed class CameraClasses
{
    private readonly Dictionary<string, float> _thresholds;

    private CameraClasses(ClassSet set, Dictionary<string, float> thresholds, DetectionOptions options, IReadOnlyList<string> labels)
    {
        Set = set;
        _thresholds = thresholds;
        Options = options;
        Labels = labels;
    }

    public ClassSet Set { get; }

    public DetectionOptions Options { get; }

    public IReadOnlyList<string> Labels { get; }

    public static CameraClasses Create(Detector detector, CameraConfig camera, Func<IReadOnlyList<ClassPrompt>, ClassSet> classSets)
    {
        if (camera.Classes.Count == 0)
        {
            var set = detector.Classes ?? throw new CamerasConfigException($"camera '{camera.Name}': classes: expected at least one class (the detector is open-vocabulary and has none set)");
            return new CameraClasses(set, [], DetectionOptions.Default with { Confidence = camera.Confidence }, [.. set.Labels]);
        }

        var prompts = camera.Classes.Select(c => new ClassPrompt(c.Name, c.Prompts ?? [c.Name])).ToList();
        var thresholds = camera.Classes.ToDictionary(c => c.Name, c => (float)(c.Threshold ?? camera.Confidence), StringComparer.Ordinal);
        var lowest = thresholds.Values.Min();
        return new CameraClasses(classSets(prompts), thresholds, DetectionOptions.Default with { Confidence = lowest }, [.. camera.Classes.Select(c => c.Name)]);
    }

    /// <summary>The detections that pass their own label's threshold (exclusive, in single precision as the detector compares).</summary>
    public DetectionResult Filter(DetectionResult result)
    {
        if (_thresholds.Count == 0 || result.Detections.All(d => d.Score > _thresholds.GetValueOrDefault(d.Label, 0f)))
        {
            return result;
        }

        return result with { Detections = [.. result.Detections.Where(d => d.Score > _thresholds.GetValueOrDefault(d.Label, 0f))] };
    }
}
