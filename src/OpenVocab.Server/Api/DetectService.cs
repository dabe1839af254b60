using OpenCvSharp;
using OpenVocab.Detection;
using OpenVocab.Server.Batching;

namespace OpenVocab.Server.Api;

/// <summary>Detection as REST and gRPC both run it: every image through the batcher, then the per-class minimums.</summary>
internal sealed class DetectService(DetectBatcher batcher)
{
    /// <summary>
    /// Detects in every image (they may go into different runs, each batched with other requests' images).
    /// <paramref name="classConf"/> holds per-label minimum scores; they go into the library's one per-class rule,
    /// <see cref="DetectionOptions.ClassConfidence"/> (applied before NMS, in place of the global confidence for those labels).
    /// </summary>
    public async Task<DetectionResult[]> DetectAsync(IReadOnlyList<Mat> images, ClassSet classes, DetectionOptions options, IReadOnlyDictionary<string, double>? classConf)
    {
        if (classConf is { Count: > 0 })
        {
            options = options with { ClassConfidence = classConf };
        }

        return await batcher.DetectAsync(images, classes, options).ConfigureAwait(false);
    }

    /// <summary>Detection options from request values (null: ultralytics' default), each checked and named when wrong.</summary>
    public static DetectionOptions Options(double? conf, double? iou, int? maxDet, bool agnostic)
    {
        var defaults = DetectionOptions.Default;
        CheckRange("conf", conf, 0, 1);
        CheckRange("iou", iou, 0, 1);
        CheckRange("max_det", maxDet, 1, 100_000);
        try
        {
            return new DetectionOptions
            {
                Confidence = conf ?? defaults.Confidence,
                IoU = iou ?? defaults.IoU,
                MaxDetections = maxDet ?? defaults.MaxDetections,
                Agnostic = agnostic,
            };
        }
        catch (ArgumentOutOfRangeException e)
        {
            var field = e.ParamName switch { "Confidence" => "conf", "IoU" => "iou", "MaxDetections" => "max_det", _ => "options" };
            throw new ApiProblemException(400, field, e.Message);
        }
    }

    private static void CheckRange(string field, double? value, double min, double max)
    {
        if (value is { } v && !(v >= min && v <= max))
        {
            throw new ApiProblemException(400, field, $"'{field}' is {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}; expected a number from {min.ToString(System.Globalization.CultureInfo.InvariantCulture)} to {max.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        }
    }

    /// <summary>Checks a per-class minimum map against the class set's labels.</summary>
    public static void CheckClassConf(IReadOnlyDictionary<string, double> classConf, ClassSet classes, string field)
    {
        foreach (var (label, min) in classConf)
        {
            if (!classes.Labels.Contains(label))
            {
                throw new ApiProblemException(400, $"{field}.{label}", $"'{field}' names '{label}', which is not one of the classes ({string.Join(", ", classes.Labels.Take(10))}{(classes.Labels.Count > 10 ? ", ..." : "")}).");
            }

            if (!(min >= 0 && min <= 1))
            {
                throw new ApiProblemException(400, $"{field}.{label}", $"'{field}' gives '{label}' the minimum {min}; expected a number from 0 to 1.");
            }
        }
    }
}
