using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using OpenVocab.Imaging;

namespace OpenVocab.Detection;

/// <summary>
/// The buffers one detect call needs: the pinned input tensor, the text-feature tensor, the resize scratch and the
/// decoder workspace. Rented from the detector per call, so steady-state calls allocate only their results.
/// Not thread-safe: one call at a time.
/// </summary>
internal sealed class DetectorRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly Detector.Graph _graph;
    private readonly float[] _input;
    private readonly OrtValue _inputValue;
    private readonly Mat _resizeScratch = new();
    private readonly YoloOutputDecoder _decoder = new();
    private readonly ScoresBoxesOutput? _scoresBoxes;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private float[] _text = [];
    private int _textColumns;

    public DetectorRunner(InferenceSession session, Detector.Graph graph)
    {
        _session = session;
        _graph = graph;
        _input = new float[3 * graph.InputHeight * graph.InputWidth];
        _inputValue = OrtValue.CreateTensorValueFromMemory(_input, [1, 3, graph.InputHeight, graph.InputWidth]);
        _inputNames = graph.TextName is null ? [graph.ImagesName] : [graph.ImagesName, graph.TextName];
        _outputNames = graph.BoxesName is null ? [graph.OutputName] : [graph.OutputName, graph.BoxesName];
        _scoresBoxes = graph.BoxesName is null ? null : new ScoresBoxesOutput();
    }

    public DetectionResult Run(Mat bgr, ClassSet classes, DetectionOptions options)
    {
        var clock = Stopwatch.StartNew();
        var transform = LetterboxTransform.Compute(bgr.Width, bgr.Height, _graph.InputWidth, _graph.InputHeight);
        Letterbox.Apply(bgr, transform, _input, _resizeScratch);
        var preprocess = clock.Elapsed.TotalMilliseconds;

        var detections = new List<DetectedObject>();
        double inference = 0, postprocess = 0;
        if (classes.Embeddings is null)
        {
            // Closed set: every baked-in class competes for an anchor (as in ultralytics); the chosen names filter.
            var selected = options with { ClassFilter = classes.ModelFilter(options.ClassFilter) };
            (inference, postprocess) = RunAndDecode([_inputValue], _graph.ModelClassCount, _graph.ModelClassNames, selected, transform, mapBack: true, detections);
        }
        else if (classes.IsOnePromptPerClass && (_graph.MaxClasses is null || classes.Prompts.Count <= _graph.MaxClasses))
        {
            FillText(classes, 0, classes.Prompts.Count, _graph.MaxClasses ?? classes.Prompts.Count);
            (inference, postprocess) = RunText(classes.Labels, options, transform, mapBack: true, detections);
        }
        else
        {
            // Several prompts per label, or more prompts than a fixed-N graph takes: decode per prompt in input
            // pixels, relabel, then one per-label NMS over everything.
            var perPrompt = options with { ClassFilter = null };
            var prompts = classes.Prompts.Count;
            var chunk = _graph.MaxClasses ?? prompts;
            for (var start = 0; start < prompts; start += chunk)
            {
                var count = Math.Min(chunk, prompts - start);
                FillText(classes, start, count, _graph.MaxClasses ?? count);
                var first = detections.Count;
                var (i, d) = RunText(new ArraySegment<string>(classes.PromptArray, start, count), perPrompt, transform, mapBack: false, detections);
                inference += i;
                postprocess += d;
                for (var k = first; k < detections.Count; k++)
                {
                    var label = classes.PromptClass[start + detections[k].ClassIndex];
                    detections[k] = detections[k] with { ClassIndex = label, Label = classes.Labels[label] };
                }
            }

            clock.Restart();
            detections = MergeByLabel(detections, options, transform);
            postprocess += clock.Elapsed.TotalMilliseconds;
        }

        return new DetectionResult(bgr.Width, bgr.Height, detections, new StageTimings(preprocess, inference, postprocess));
    }

    private (double Inference, double Postprocess) RunText(IReadOnlyList<string> labels, DetectionOptions options,
        in LetterboxTransform transform, bool mapBack, List<DetectedObject> detections)
    {
        using var textValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            _text.AsMemory(0, _textColumns * _graph.EmbeddingDim), [1, _textColumns, _graph.EmbeddingDim]);
        return RunAndDecode([_inputValue, textValue], _textColumns, labels, options, transform, mapBack, detections);
    }

    /// <summary>Runs the graph and decodes the first <c>labels.Count</c> score rows (the rest are padding).</summary>
    private (double Inference, double Postprocess) RunAndDecode(OrtValue[] inputs, int columns, IReadOnlyList<string> labels,
        DetectionOptions options, in LetterboxTransform transform, bool mapBack, List<DetectedObject> detections)
    {
        var clock = Stopwatch.StartNew();
        using var outputs = _session.Run(_runOptions, _inputNames, inputs, _outputNames);
        var inference = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        var output = outputs[0];
        ReadOnlySpan<float> data;
        if (_scoresBoxes is not null)
        {
            data = _scoresBoxes.ToYolo(output.GetTensorDataAsSpan<float>(), outputs[1].GetTensorDataAsSpan<float>(), columns);
        }
        else
        {
            var rows = output.GetTensorTypeAndShape().Shape[1];
            if (rows != 4 + columns)
            {
                throw new ModelMismatchException($"The detector's output has {rows} rows for {columns} classes; expected 4 + {columns} (the yolo layout [1,4+N,A]).");
            }

            data = output.GetTensorDataAsSpan<float>();
        }

        var valid = Math.Min(labels.Count, columns);
        if (mapBack)
        {
            _decoder.Decode(data, columns, valid, labels, options, transform, detections);
        }
        else
        {
            _decoder.Decode(data, columns, valid, labels, options, detections);
        }

        return (inference, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>Per-label NMS over candidates gathered from several prompt columns or runs, then mapping to the image.</summary>
    private static List<DetectedObject> MergeByLabel(List<DetectedObject> candidates, DetectionOptions options, in LetterboxTransform transform)
    {
        if (options.ClassFilter is { } filter)
        {
            candidates.RemoveAll(d => !filter.Contains(d.ClassIndex));
        }

        var boxes = new BoundingBox[candidates.Count];
        var scores = new float[candidates.Count];
        var labels = new int[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            (boxes[i], scores[i], labels[i]) = (candidates[i].Box, candidates[i].Score, candidates[i].ClassIndex);
        }

        var keep = new int[Math.Min(candidates.Count, options.MaxDetections)];
        var kept = NonMaxSuppression.Apply(boxes, scores, options.Agnostic ? [] : labels, options.IoU, keep);
        var merged = new List<DetectedObject>(kept);
        for (var k = 0; k < kept; k++)
        {
            var d = candidates[keep[k]];
            merged.Add(d with { Box = transform.MapToSource(d.Box) });
        }

        return merged;
    }

    /// <summary>
    /// Writes the embeddings of prompts [start, start+count) into the text tensor, padding up to
    /// <paramref name="columns"/> by repeating real prompts (zero rows would change YOLO-World's text-attending neck).
    /// </summary>
    private void FillText(ClassSet classes, int start, int count, int columns)
    {
        var dim = _graph.EmbeddingDim;
        if (_text.Length < columns * dim)
        {
            _text = new float[columns * dim];
        }

        for (var c = 0; c < columns; c++)
        {
            classes.Embeddings.AsSpan((start + (c % count)) * dim, dim).CopyTo(_text.AsSpan(c * dim, dim));
        }

        _textColumns = columns;
    }

    public void Dispose()
    {
        _inputValue.Dispose();
        _resizeScratch.Dispose();
        _runOptions.Dispose();
    }
}
