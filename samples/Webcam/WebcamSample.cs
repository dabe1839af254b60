using System.Globalization;
using OpenCvSharp;
using OpenVocab.Detection;
using OpenVocab.Drawing;
using OpenVocab.Video;

namespace OpenVocab.Samples.Webcam;

/// <summary>
/// Runs the detector on a camera (an index such as 0) or a video file, drawing boxes live in a window; where there is
/// no display (a server, CI) it writes the annotated frames as JPEGs instead.
/// </summary>
public static class WebcamSample
{
    /// <summary>Usage: Webcam PACK "class a, class b" SOURCE [--out DIR] [--max-frames N] [--no-window]</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        string[] positional = [.. args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || args[i - 1] is not ("--out" or "--max-frames")))];
        if (positional.Length < 3)
        {
            output.WriteLine("usage: Webcam PACK \"class a, class b\" SOURCE [--out DIR] [--max-frames N] [--no-window]");
            return 2;
        }

        bool display = !args.Contains("--no-window") && (OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()
            || Environment.GetEnvironmentVariable("DISPLAY") is { Length: > 0 } || Environment.GetEnvironmentVariable("WAYLAND_DISPLAY") is { Length: > 0 });
        string outDir = Option("--out") ?? "webcam-frames";
        using var detector = Detector.Load(positional[0]);
        detector.SetClasses([.. positional[1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)]);
        using var cancel = new CancellationTokenSource();
        var sink = new DrawingSink(display, outDir, cancel);
        var options = new VideoDetectorOptions
        {
            Sinks = [sink],
            MaxFrames = Option("--max-frames") is { } n ? long.Parse(n, CultureInfo.InvariantCulture) : null,
        };
        var pipeline = new VideoDetector(detector, options);
        output.WriteLine(display ? "showing frames (press q or Esc in the window to stop)" : $"no display: writing annotated frames to {outDir}");
        long frames = 0;
        try
        {
            await foreach (FrameResult frame in pipeline.RunAsync(positional[2], cancel.Token).ConfigureAwait(false))
            {
                frames++;
                if (frame.Detections.Count > 0)
                {
                    output.WriteLine($"frame {frame.FrameIndex}: " + string.Join(", ", frame.Detections.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Label} {d.Score:0.00}"))));
                }
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The window was closed with q or Esc.
        }
        finally
        {
            if (display)
            {
                Cv2.DestroyAllWindows();
            }
        }

        output.WriteLine($"{frames} frames");
        return 0;
    }

    /// <summary>Draws each frame's detections on a copy (the pipeline owns the frame) and shows or saves it.</summary>
    private sealed class DrawingSink(bool display, string outDir, CancellationTokenSource stop) : IFrameSink
    {
        public void Write(FrameResult result, Mat frame)
        {
            using Mat canvas = frame.Clone();
            Annotator.Draw(canvas, result.Detections);
            if (display)
            {
                Cv2.ImShow("OpenVocab", canvas);
                if (Cv2.WaitKey(1) is 'q' or 27)
                {
                    stop.Cancel();
                }
            }
            else
            {
                Directory.CreateDirectory(outDir);
                Cv2.ImWrite(Path.Combine(outDir, string.Create(CultureInfo.InvariantCulture, $"frame_{result.FrameIndex:000000}.jpg")), canvas);
            }
        }
    }
}
