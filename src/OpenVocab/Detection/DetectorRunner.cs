using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using OpenVocab.Imaging;
using OpenVocab.Inference;

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
    private readonly OrtValue[] _inputs;

    // When the graph fixes A, the text and output tensors are built over pinned arrays once per class count and
    // bound with the input to an IoBinding, reused while the count stays the same: a steady detect call then hands
    // ONNX Runtime only memory it already has, and the run itself allocates nothing managed.
    private readonly OrtIoBinding? _binding;
    private float[] _text = [];
    private OrtValue? _textValue;
    private int _textColumns;
    private float[] _output = [];
    private OrtValue? _outputValue;
    private int _outputColumns;

    private DetectionOptions? _closedSetCaller;
    private ClassSet? _closedSetClasses;
    private DetectionOptions? _closedSetOptions;

    public DetectorRunner(InferenceSession session, Detector.Graph graph)
    {
        _session = session;
        _graph = graph;
        _input = GC.AllocateArray<float>(3 * graph.InputHeight * graph.InputWidth, pinned: true);
        _inputValue = OrtValue.CreateTensorValueFromMemory(_input, [1, 3, graph.InputHeight, graph.InputWidth]);
        _inputNames = graph.TextName is null ? [graph.ImagesName] : [graph.ImagesName, graph.TextName];
        // The text slot is filled by FillText before the first run.
        _inputs = graph.TextName is null ? [_inputValue] : [_inputValue, _inputValue];
        _outputNames = graph.BoxesName is null ? [graph.OutputName] : [graph.OutputName, graph.BoxesName];
        _scoresBoxes = graph.BoxesName is null ? null : new ScoresBoxesOutput(graph.OutputName, graph.BoxesName);
        if (graph.Anchors is not null)
        {
            _binding = session.CreateIoBinding();
            _binding.BindInput(graph.ImagesName, _inputValue);
        }
    }

    public DetectionResult Run(Mat bgr, ClassSet classes, DetectionOptions options)
    {
        var start = Stopwatch.GetTimestamp();
        var transform = LetterboxTransform.Compute(bgr.Width, bgr.Height, _graph.InputWidth, _graph.InputHeight);
        Letterbox.Apply(bgr, transform, _input, _resizeScratch);
        var preprocess = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

        IReadOnlyList<DetectedObject> detections;
        double inference = 0, postprocess = 0;
        var columnConfidence = classes.ColumnConfidence(options);
        if (classes.Embeddings is null)
        {
            // Closed set: every baked-in class competes for an anchor (as in ultralytics); the chosen names filter.
            detections = RunAndDecode(_graph.ModelClassCount, _graph.ModelClassNames, ClosedSetOptions(classes, options), columnConfidence, transform, null, ref inference, ref postprocess)!;
        }
        else if (classes.IsOnePromptPerClass && (_graph.MaxClasses is null || classes.Prompts.Count <= _graph.MaxClasses))
        {
            FillText(classes, 0, classes.Prompts.Count, _graph.MaxClasses ?? classes.Prompts.Count);
            detections = RunAndDecode(_textColumns, classes.Labels, options, columnConfidence, transform, null, ref inference, ref postprocess)!;
        }
        else
        {
            // Several prompts per label, or more prompts than a fixed-N graph takes: decode per prompt in input
            // pixels, relabel, then one per-label NMS over everything.
            var candidates = new List<DetectedObject>();
            var perPrompt = options with { ClassFilter = null };
            var prompts = classes.Prompts.Count;
            var chunk = _graph.MaxClasses ?? prompts;
            for (var first = 0; first < prompts; first += chunk)
            {
                var count = Math.Min(chunk, prompts - first);
                FillText(classes, first, count, _graph.MaxClasses ?? count);
                var appended = candidates.Count;
                RunAndDecode(_textColumns, new ArraySegment<string>(classes.PromptArray, first, count), perPrompt,
                    columnConfidence is null ? null : columnConfidence[first..(first + count)], transform, candidates, ref inference, ref postprocess);
                for (var k = appended; k < candidates.Count; k++)
                {
                    var label = classes.PromptClass[first + candidates[k].ClassIndex];
                    // A negative keeps its group index (>= Labels.Count) and no label: MergeByLabel takes it out.
                    candidates[k] = candidates[k] with { ClassIndex = label, Label = label < classes.Labels.Count ? classes.Labels[label] : "" };
                }
            }

            var merge = Stopwatch.GetTimestamp();
            detections = MergeByLabel(candidates, classes.Labels.Count, options, transform);
            postprocess += Stopwatch.GetElapsedTime(merge).TotalMilliseconds;
        }

        return new DetectionResult(bgr.Width, bgr.Height, detections, new StageTimings(preprocess, inference, postprocess));
    }

    /// <summary>
    /// Runs the graph and decodes the first <c>labels.Count</c> score rows (the rest are padding): into a new array
    /// with boxes mapped to the image, or, given <paramref name="candidates"/>, appended there in input pixels.
    /// </summary>
    private DetectedObject[]? RunAndDecode(int columns, IReadOnlyList<string> labels, DetectionOptions options, float[]? columnConfidence,
        in LetterboxTransform transform, List<DetectedObject>? candidates, ref double inference, ref double postprocess)
    {
        var start = Stopwatch.GetTimestamp();
        IDisposableReadOnlyCollection<OrtValue>? allocated = null;
        try
        {
            ReadOnlySpan<float> data;
            if (_graph.Anchors is { } anchors)
            {
                BindOutput(columns, anchors);
                RunBound(columns);
                data = _output.AsSpan(0, (4 + columns) * anchors);
            }
            else
            {
                allocated = _session.Run(_runOptions, _inputNames, _inputs, _outputNames);
                data = _scoresBoxes is not null
                    ? _scoresBoxes.ToYolo(allocated[0].GetTensorDataAsSpan<float>(), allocated[1].GetTensorDataAsSpan<float>(), columns)
                    : YoloOutput(allocated[0], columns);
            }

            var decode = Stopwatch.GetTimestamp();
            inference += Stopwatch.GetElapsedTime(start, decode).TotalMilliseconds;
            var valid = Math.Min(labels.Count, columns);
            DetectedObject[]? array = null;
            if (candidates is null)
            {
                array = _decoder.Decode(data, columns, valid, labels, options, columnConfidence, transform);
            }
            else
            {
                _decoder.Decode(data, columns, valid, labels, options, columnConfidence, candidates);
            }

            postprocess += Stopwatch.GetElapsedTime(decode).TotalMilliseconds;
            return array;
        }
        finally
        {
            allocated?.Dispose();
        }
    }

    private ReadOnlySpan<float> YoloOutput(OrtValue output, int columns)
    {
        var shape = output.GetTensorTypeAndShape().Shape;
        if (shape[1] != 4 + columns)
        {
            throw GraphContract.Mismatch(null, _graph.OutputName, $"[1,{4 + columns},A] for {columns} classes (the yolo layout [1,4+N,A])", GraphContract.Describe(shape));
        }

        return output.GetTensorDataAsSpan<float>();
    }

    private void RunBound(int columns)
    {
        try
        {
            _session.RunWithBinding(_runOptions, _binding!);
        }
        catch (OnnxRuntimeException e)
        {
            throw GraphContract.Mismatch(null, _graph.OutputName, $"[1,{4 + columns},{_graph.Anchors}] for {columns} classes (the yolo layout)",
                $"an output ONNX Runtime could not write there: {e.Message}", e);
        }
    }

    /// <summary>Binds the output tensor for <paramref name="columns"/> score rows, over a pinned array reused while the count stays.</summary>
    private void BindOutput(int columns, int anchors)
    {
        if (_outputValue is null || _outputColumns != columns)
        {
            var length = (4 + columns) * anchors;
            if (_output.Length < length)
            {
                _output = GC.AllocateArray<float>(length, pinned: true);
            }

            _outputValue?.Dispose();
            _outputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _output.AsMemory(0, length), [1, 4 + columns, anchors]);
            _outputColumns = columns;
            _binding!.BindOutput(_graph.OutputName, _outputValue);
        }
    }

    /// <summary>Closed-set options with the class set's model filter applied; reused while caller and classes stay the same.</summary>
    private DetectionOptions ClosedSetOptions(ClassSet classes, DetectionOptions caller)
    {
        if (!ReferenceEquals(caller, _closedSetCaller) || !ReferenceEquals(classes, _closedSetClasses))
        {
            _closedSetOptions = caller with { ClassFilter = classes.ModelFilter(caller.ClassFilter) };
            (_closedSetCaller, _closedSetClasses) = (caller, classes);
        }

        return _closedSetOptions!;
    }

    /// <summary>
    /// Per-label NMS over candidates gathered from several prompt columns or runs, then mapping to the image.
    /// Candidates of index <paramref name="labelCount"/> or more won their anchor for a negative prompt: they are never
    /// returned (and, only when the internal option asks, remove positive boxes they overlap with a higher score).
    /// </summary>
    private static DetectedObject[] MergeByLabel(List<DetectedObject> candidates, int labelCount, DetectionOptions options, in LetterboxTransform transform)
    {
        List<DetectedObject>? negatives = null;
        if (candidates.Exists(d => d.ClassIndex >= labelCount))
        {
            negatives = candidates.FindAll(d => d.ClassIndex >= labelCount);
            candidates.RemoveAll(d => d.ClassIndex >= labelCount);
            if (options.NegativesSuppress)
            {
                candidates.RemoveAll(d => negatives.Exists(n => n.Score > d.Score && n.Box.IoU(d.Box) > options.IoU));
            }
        }

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
        var merged = new DetectedObject[kept];
        for (var k = 0; k < kept; k++)
        {
            var d = candidates[keep[k]];
            merged[k] = d with { Box = transform.MapToSource(d.Box) };
        }

        return merged;
    }

    /// <summary>
    /// Writes the embeddings of prompts [first, first+count) into the text tensor, padding up to
    /// <paramref name="columns"/> by repeating real prompts (zero rows would change YOLO-World's text-attending neck).
    /// </summary>
    private void FillText(ClassSet classes, int first, int count, int columns)
    {
        var dim = _graph.EmbeddingDim;
        if (_text.Length < columns * dim)
        {
            _text = GC.AllocateArray<float>(columns * dim, pinned: true);
            _textValue?.Dispose();
            _textValue = null;
        }

        for (var c = 0; c < columns; c++)
        {
            classes.Embeddings.AsSpan((first + (c % count)) * dim, dim).CopyTo(_text.AsSpan(c * dim, dim));
        }

        if (_textValue is null || _textColumns != columns)
        {
            _textValue?.Dispose();
            _textValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _text.AsMemory(0, columns * dim), [1, columns, dim]);
            _textColumns = columns;
            _inputs[1] = _textValue;
            _binding?.BindInput(_graph.TextName!, _textValue);
        }
    }

    public void Dispose()
    {
        _binding?.Dispose();
        _inputValue.Dispose();
        _textValue?.Dispose();
        _outputValue?.Dispose();
        _resizeScratch.Dispose();
        _runOptions.Dispose();
    }
}
