using System.Diagnostics;
using OpenCvSharp;
using OpenVocab.Detection;
using OpenVocab.Drawing;
using OpenVocab.Imaging;

namespace OpenVocab.Cli.Commands;

/// <summary>The measurements behind <c>openvocab bench</c>: each stage timed alone, many times, on one thread.</summary>
internal static class DetectBench
{
    /// <summary>Median and 95th percentile of one stage, in milliseconds.</summary>
    public readonly record struct Stats(double Median, double P95)
    {
        public static Stats Of(double[] samples)
        {
            var sorted = samples.Order().ToArray();
            return new Stats(Percentile(sorted, 0.5), Percentile(sorted, 0.95));
        }

        // Linear interpolation between closest ranks (numpy's default).
        private static double Percentile(double[] sorted, double q)
        {
            var rank = q * (sorted.Length - 1);
            var low = (int)Math.Floor(rank);
            var high = Math.Min(low + 1, sorted.Length - 1);
            return sorted[low] + ((rank - low) * (sorted[high] - sorted[low]));
        }
    }

    /// <summary>One image size: its stages, the overhead ratio and the managed bytes one detect call allocates.</summary>
    public sealed record SizeRun(int Width, int Height, IReadOnlyList<(string Name, Stats Stats)> Stages, double OverheadRatio,
        double AllocatedBytesPerDetect, int Detections);

    /// <summary>Encoding the class list's prompts with and without the embedding cache.</summary>
    public sealed record TextRun(int Prompts, Stats Uncached, Stats Cached, double RunsPerUncached, double RunsPerCached);

    public static SizeRun Measure(Detector detector, Mat source, Size size, int iterations, int warmup)
    {
        using var image = source.Size() == size ? source.Clone() : source.Resize(size, 0, 0, InterpolationFlags.Area);
        Cv2.ImEncode(".jpg", image, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, 95));
        var decode = Time(iterations, warmup, () => ImageLoader.Decode(jpeg).Dispose());

        var total = new double[iterations];
        var pre = new double[iterations];
        var onnx = new double[iterations];
        var post = new double[iterations];
        long allocated = 0;
        DetectionResult? last = null;
        for (var i = -warmup; i < iterations; i++)
        {
            var bytes = GC.GetAllocatedBytesForCurrentThread();
            var start = Stopwatch.GetTimestamp();
            var result = detector.Detect(image);
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var used = GC.GetAllocatedBytesForCurrentThread() - bytes;
            if (i < 0)
            {
                continue;
            }

            (total[i], pre[i], onnx[i], post[i]) = (elapsed, result.Timings.PreprocessMs, result.Timings.InferenceMs, result.Timings.PostprocessMs);
            allocated += used;
            last = result;
        }

        using var canvas = new Mat();
        var draw = Time(iterations, warmup, () => Annotator.Draw(canvas, last!.Detections), () => image.CopyTo(canvas));

        var overhead = Stats.Of([.. total.Zip(onnx, (t, o) => t - o)]);
        // What the stage timers do not cover, per call: entering Detect (image checks, renting a runner), filling the
        // text tensor, building the result, and the timers themselves. Medians of separate stages do not add up to
        // the median of their sum, so the bench reports this per call rather than as a difference of medians.
        var outside = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            outside[i] = total[i] - pre[i] - onnx[i] - post[i];
        }

        var onnxStats = Stats.Of(onnx);
        return new SizeRun(size.Width, size.Height,
        [
            ("decode (jpeg)", decode),
            ("preprocess", Stats.Of(pre)),
            ("inference (ONNX)", onnxStats),
            ("postprocess", Stats.Of(post)),
            ("detect (total)", Stats.Of(total)),
            ("overhead (total-ONNX)", overhead),
            ("outside the stages", Stats.Of(outside)),
            ("draw", draw),
        ], overhead.Median / onnxStats.Median, (double)allocated / iterations, last!.Detections.Count);
    }

    /// <summary>
    /// Times building the current class list as a class set: uncached (the cache cleared first: one batched encoder
    /// run for all prompts) and cached (every prompt seen: no run).
    /// </summary>
    public static TextRun MeasureText(Detector detector, int iterations, int warmup)
    {
        var encoder = detector.TextEncoder!;
        var labels = detector.Classes!.Labels.ToArray();
        var runsBefore = encoder.InferenceRuns;
        var uncached = Time(iterations, warmup, () => detector.CreateClassSet(labels), encoder.ClearCache);
        var uncachedRuns = (double)(encoder.InferenceRuns - runsBefore) / (iterations + warmup);
        runsBefore = encoder.InferenceRuns;
        var cached = Time(iterations, warmup, () => detector.CreateClassSet(labels));
        var cachedRuns = (double)(encoder.InferenceRuns - runsBefore) / (iterations + warmup);
        return new TextRun(labels.Length, uncached, cached, uncachedRuns, cachedRuns);
    }

    private static Stats Time(int iterations, int warmup, Action action, Action? untimedBefore = null)
    {
        var samples = new double[iterations];
        for (var i = -warmup; i < iterations; i++)
        {
            untimedBefore?.Invoke();
            var start = Stopwatch.GetTimestamp();
            action();
            if (i >= 0)
            {
                samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }

        return Stats.Of(samples);
    }
}
