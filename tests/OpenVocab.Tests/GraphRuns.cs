using Microsoft.ML.OnnxRuntime;

namespace OpenVocab.Tests;

/// <summary>
/// Raw ONNX Runtime runs of pack graphs with an explicit batch, for the tests that compare a batch of B items with
/// B runs of one item (the graphs themselves, without the library's batching in between).
/// </summary>
internal static class GraphRuns
{
    /// <summary>A yolo-layout detector: <c>images</c> [B,3,H,W] (and <c>txt_feats</c> [textBatch,N,D] when given) to <c>output0</c> [B,4+N,A].</summary>
    public static float[] Detector(InferenceSession session, float[] images, int batch, int height, int width, float[]? text = null, int textBatch = 1, int n = 0, int dim = 0)
    {
        using var imagesValue = OrtValue.CreateTensorValueFromMemory(images, [batch, 3, height, width]);
        using var textValue = text is null ? null : OrtValue.CreateTensorValueFromMemory(text, [textBatch, n, dim]);
        using var runOptions = new RunOptions();
        using var outputs = textValue is null
            ? session.Run(runOptions, ["images"], [imagesValue], ["output0"])
            : session.Run(runOptions, ["images", "txt_feats"], [imagesValue, textValue], ["output0"]);
        var shape = outputs[0].GetTensorTypeAndShape().Shape;
        Assert.Equal(batch, shape[0]);
        if (text is not null)
        {
            Assert.Equal(4 + n, shape[1]);
        }

        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>An encoder with one input and one output [B, D].</summary>
    public static float[] Encoder<T>(InferenceSession session, string input, T[] data, long[] shape)
        where T : unmanaged
    {
        using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [input], [value], [session.OutputNames[0]]);
        Assert.Equal(shape[0], outputs[0].GetTensorTypeAndShape().Shape[0]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Largest differences of one item's yolo output [4+N, A]: box rows (0..3) and score rows, and how many expected scores exceed 0.25.</summary>
    public static (double Box, double Score, int Confident) Compare(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, int anchors)
    {
        Assert.Equal(expected.Length, actual.Length);
        double box = 0, score = 0;
        var confident = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var diff = Math.Abs((double)expected[i] - actual[i]);
            if (i < 4 * anchors)
            {
                box = Math.Max(box, diff);
            }
            else
            {
                score = Math.Max(score, diff);
                confident += expected[i] > 0.25f ? 1 : 0;
            }
        }

        return (box, score, confident);
    }

    /// <summary>Largest absolute difference.</summary>
    public static double MaxDiff(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs((double)expected[i] - actual[i]));
        }

        return worst;
    }

    /// <summary>Asserts that every graph input and output has the symbolic batch dimension <c>batch</c> first.</summary>
    public static void AssertSymbolicBatch(InferenceSession session, string file)
    {
        foreach (var (name, meta) in session.InputMetadata.Concat(session.OutputMetadata))
        {
            Assert.True(meta.Dimensions[0] < 0, $"{file}: '{name}' has a fixed batch of {meta.Dimensions[0]}");
            Assert.Equal("batch", meta.SymbolicDimensions[0]);
        }
    }
}
