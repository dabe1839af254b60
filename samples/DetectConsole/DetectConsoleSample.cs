using System.Globalization;
using OpenVocab.Detection;
using OpenVocab.Drawing;
using OpenVocab.Imaging;

namespace OpenVocab.Samples.DetectConsole;

/// <summary>Detects objects named by text prompts in images and prints them; optionally saves annotated copies.</summary>
public static class DetectConsoleSample
{
    /// <summary>Usage: DetectConsole PACK "class a, class b" IMAGE... [--save DIR]</summary>
    public static int Run(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        int save = Array.IndexOf(args, "--save");
        string? saveDir = save >= 0 && save + 1 < args.Length ? args[save + 1] : null;
        string[] rest = save >= 0 ? [.. args[..save], .. args[(save + 2)..]] : args;
        if (rest.Length < 3)
        {
            output.WriteLine("usage: DetectConsole PACK \"class a, class b\" IMAGE... [--save DIR]");
            return 2;
        }

        using var detector = Detector.Load(rest[0]);
        detector.SetClasses([.. rest[1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)]);
        foreach (string image in rest[2..])
        {
            using var mat = ImageLoader.Read(image);
            DetectionResult result = detector.Detect(mat);
            output.WriteLine($"{image}: {result.Detections.Count} objects ({result.Timings})");
            foreach (DetectedObject d in result.Detections)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {d.Label} {d.Score:0.00} [{d.Box.X1:0}, {d.Box.Y1:0}, {d.Box.X2:0}, {d.Box.Y2:0}]"));
            }

            if (saveDir is not null)
            {
                Directory.CreateDirectory(saveDir);
                Annotator.Draw(mat, result.Detections);
                OpenCvSharp.Cv2.ImWrite(Path.Combine(saveDir, Path.GetFileName(image)), mat);
            }
        }

        return 0;
    }
}
