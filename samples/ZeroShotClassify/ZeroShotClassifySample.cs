using System.Globalization;
using OpenVocab.Classification;
using OpenVocab.Imaging;
using OpenVocab.Inference;

namespace OpenVocab.Samples.ZeroShotClassify;

/// <summary>Classifies whole images against labels typed at run time (CLIP zero-shot), printing the top 3.</summary>
public static class ZeroShotClassifySample
{
    /// <summary>Usage: ZeroShotClassify PACK "label a, label b" IMAGE...</summary>
    public static int Run(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        if (args.Length < 3)
        {
            output.WriteLine("usage: ZeroShotClassify PACK \"label a, label b\" IMAGE...");
            return 2;
        }

        // Works with an openvocab pack and with a Hugging Face CLIP ONNX folder as downloaded.
        using var clip = ZeroShotClassifier.Load(ModelPack.Load(args[0]));
        var labels = clip.CreateLabels([.. args[1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)]);
        foreach (string image in args[2..])
        {
            using var mat = ImageLoader.Read(image);
            ZeroShotResult result = clip.Classify(mat, labels, topK: 3);
            output.WriteLine($"{image}: " + string.Join(", ", result.Predictions.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Label} {p.Score:0.000}"))));
        }

        return 0;
    }
}
