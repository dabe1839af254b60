using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using OpenVocab.Imaging;
using OpenVocab.Inference;

namespace OpenVocab.Detection;

/// <summary>
/// The buffers detect calls need: the pinned input tensor for a batch of images, the text-feature tensor, the resize
/// scratch, the decoder workspace and the per-anchor merge of multi-pass class sets. Rented from the detector per
/// call, so steady-state calls of one batch size allocate only their results. Not thread-safe: one call at a time.
/// </summary>
internal sealed class DetectorRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly Detector.Graph _graph;
    private readonly int _plane;
    private readonly Mat _resizeScratch = new();
    private readonly YoloOutputDecoder _decoder = new();
    private readonly ScoresBoxesOutput? _scoresBoxes;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly OrtValue[] _inputs;
    private readonly Mat[] _one = new Mat[1];
    private readonly DetectionResult[] _oneResult = new DetectionResult[1];

    // The input tensor over a pinned array, rebuilt only when the batch size changes.
    private float[] _input = [];
    private OrtValue? _inputValue;
    private int _inputBatch;

    // When the graph fixes A, the text and output tensors are built over pinned arrays once per class count and batch
    // size and bound with the input to an IoBinding, reused while those stay the same: a steady detect call then
    // hands ONNX Runtime only memory it already has, and the run itself allocates nothing managed.
    private readonly OrtIoBinding? _binding;
    private float[] _text = [];
    private OrtValue? _textValue;
    private int _textColumns;
    private int _textBatch;
    private float[] _output = [];
    private OrtValue? _outputValue;
    private int _outputColumns;
    private int _outputBatch;

    // Outputs ONNX Runtime allocated for the last run when they are not bound; disposed once decoded.
    private IDisposableReadOnlyCollection<OrtValue>? _allocated;

    // Per batch item.
    private LetterboxTransform[] _transforms = [];
    private double[] _preprocessMs = [];
    private double[] _postprocessMs = [];
    private DetectedObject[]?[] _detections = [];
    private AnchorMerge[] _merges = [];

    private DetectionOptions? _closedSetCaller;
    private ClassSet? _closedSetClasses;
    private DetectionOptions? _closedSetOptions;

    public DetectorRunner(InferenceSession session, Detector.Graph graph)
    {
        _session = session;
        _graph = graph;
        _plane = 3 * graph.InputHeight * graph.InputWidth;
        _inputNames = graph.TextName is null ? [graph.ImagesName] : [graph.ImagesName, graph.TextName];
        // Both slots are filled before the first run (EnsureBatch, FillText).
        _inputs = new OrtValue[_inputNames.Length];
        _outputNames = graph.BoxesName is null ? [graph.OutputName] : [graph.OutputName, graph.BoxesName];
        _scoresBoxes = graph.BoxesName is null ? null : new ScoresBoxesOutput(graph.OutputName, graph.BoxesName);
        _binding = graph.Anchors is null ? null : session.CreateIoBinding();
        EnsureBatch(1);
    }

    /// <summary>Detects in one 8-bit BGR image.</summary>
    public DetectionResult Run(Mat bgr, ClassSet classes, DetectionOptions options)
    {
        _one[0] = bgr;
        try
        {
            Run(_one, 0, 1, classes, options, _oneResult);
            return _oneResult[0];
        }
        finally
        {
            // The runner outlives the call: it must not keep the caller's image or result alive.
            _one[0] = null!;
            _oneResult[0] = null!;
        }
    }

    /// <summary>
    /// Detects in <c>images[first .. first + count)</c> (8-bit BGR) with one ONNX run per pass over the prompts, all
    /// images in one <c>[count, 3, H, W]</c> tensor, and writes <c>results[first ..]</c>. The batch's inference time is
    /// split evenly over its images; preprocessing and postprocessing are timed per image.
    /// </summary>
    public void Run(IReadOnlyList<Mat> images, int first, int count, ClassSet classes, DetectionOptions options, DetectionResult[] results)
    {
        EnsureBatch(count);
        for (var b = 0; b < count; b++)
        {
            var start = Stopwatch.GetTimestamp();
            var bgr = images[first + b];
            _transforms[b] = LetterboxTransform.Compute(bgr.Width, bgr.Height, _graph.InputWidth, _graph.InputHeight);
            Letterbox.Apply(bgr, _transforms[b], _input.AsSpan(b * _plane, _plane), _resizeScratch);
            _preprocessMs[b] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            _postprocessMs[b] = 0;
        }

        double inference = 0;
        var columnConfidence = classes.ColumnConfidence(options);
        try
        {
            if (classes.Embeddings is null)
            {
                // Closed set: every baked-in class competes for an anchor (as in ultralytics); the chosen names filter.
                var closed = ClosedSetOptions(classes, options);
                Infer(count, _graph.ModelClassCount, ref inference);
                DecodeEach(count, _graph.ModelClassCount, _graph.ModelClassCount, _graph.ModelClassNames, closed, columnConfidence);
            }
            else if (classes.IsOnePromptPerClass && (_graph.MaxClasses is null || classes.Prompts.Count <= _graph.MaxClasses))
            {
                var columns = _graph.MaxClasses ?? classes.Prompts.Count;
                FillText(classes, 0, classes.Prompts.Count, columns, count);
                Infer(count, columns, ref inference);
                DecodeEach(count, columns, classes.Prompts.Count, classes.Labels, options, columnConfidence);
            }
            else
            {
                MergePasses(count, classes, options, columnConfidence, ref inference);
            }
        }
        finally
        {
            ReleaseOutputs();
        }

        var share = inference / count;
        for (var b = 0; b < count; b++)
        {
            var bgr = images[first + b];
            results[first + b] = new DetectionResult(bgr.Width, bgr.Height, _detections[b]!,
                new StageTimings(_preprocessMs[b], share, _postprocessMs[b]));
            _detections[b] = null;
        }
    }

    /// <summary>Decodes each image of a single-pass run whose first <paramref name="valid"/> score rows are <paramref name="labels"/>.</summary>
    private void DecodeEach(int count, int columns, int valid, IReadOnlyList<string> labels, DetectionOptions options, float[]? columnConfidence)
    {
        for (var b = 0; b < count; b++)
        {
            var start = Stopwatch.GetTimestamp();
            _detections[b] = _decoder.Decode(ImageOutput(b, count, columns), columns, valid, labels, options, columnConfidence, _transforms[b]);
            _postprocessMs[b] += Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
    }

    /// <summary>
    /// Several prompts per label, or more prompts than a fixed-N graph takes: one run per chunk of prompts, per anchor
    /// the best prompt over all chunks (box from the chunk that holds it), the prompt's label, then one NMS. This is
    /// what a single pass over every prompt gives; only the scores of a chunked text-attending model differ.
    /// </summary>
    private void MergePasses(int count, ClassSet classes, DetectionOptions options, float[]? columnConfidence, ref double inference)
    {
        var prompts = classes.Prompts.Count;
        var chunk = _graph.MaxClasses ?? prompts;
        for (var firstPrompt = 0; firstPrompt < prompts; firstPrompt += chunk)
        {
            var n = Math.Min(chunk, prompts - firstPrompt);
            var columns = _graph.MaxClasses ?? n;
            FillText(classes, firstPrompt, n, columns, count);
            Infer(count, columns, ref inference);
            for (var b = 0; b < count; b++)
            {
                var start = Stopwatch.GetTimestamp();
                var output = ImageOutput(b, count, columns);
                if (firstPrompt == 0)
                {
                    _merges[b].Reset(output.Length / (4 + columns));
                }

                _merges[b].Add(output, columns, n, firstPrompt);
                _postprocessMs[b] += Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            ReleaseOutputs();
        }

        // Per-class thresholds are per prompt column, the same for every prompt of a label: index them by label.
        float[]? labelConfidence = null;
        if (columnConfidence is not null)
        {
            labelConfidence = new float[classes.Labels.Count + classes.Negatives.Count];
            for (var c = 0; c < columnConfidence.Length; c++)
            {
                labelConfidence[classes.PromptClass[c]] = columnConfidence[c];
            }
        }

        for (var b = 0; b < count; b++)
        {
            var start = Stopwatch.GetTimestamp();
            var merge = _merges[b];
            if (!classes.IsOnePromptPerClass)
            {
                merge.MapToLabels(classes.PromptClass);
            }

            if (classes.Negatives.Count > 0)
            {
                merge.DropNegatives(classes.Labels.Count, options);
            }

            _detections[b] = _decoder.DecodeBest(merge.Boxes, merge.Best, merge.Classes, classes.Labels, options, labelConfidence, _transforms[b]);
            _postprocessMs[b] += Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
    }

    /// <summary>Runs the graph on <paramref name="batch"/> images and <paramref name="columns"/> score rows; the output stays readable through <see cref="ImageOutput"/> until <see cref="ReleaseOutputs"/>.</summary>
    private void Infer(int batch, int columns, ref double inference)
    {
        var start = Stopwatch.GetTimestamp();
        if (_graph.Anchors is { } anchors)
        {
            BindOutput(batch, columns, anchors);
            try
            {
                _session.RunWithBinding(_runOptions, _binding!);
            }
            catch (OnnxRuntimeException e)
            {
                throw GraphContract.Mismatch(null, _graph.OutputName, $"[{batch},{4 + columns},{anchors}] for {batch} image(s) and {columns} classes (the yolo layout)",
                    $"an output ONNX Runtime could not write there: {e.Message}", e);
            }
        }
        else
        {
            _allocated = _session.Run(_runOptions, _inputNames, _inputs, _outputNames);
            if (_scoresBoxes is null)
            {
                var shape = _allocated[0].GetTensorTypeAndShape().Shape;
                if (shape[0] != batch || shape[1] != 4 + columns)
                {
                    throw GraphContract.Mismatch(null, _graph.OutputName, $"[{batch},{4 + columns},A] for {batch} image(s) and {columns} classes (the yolo layout [B,4+N,A])",
                        GraphContract.Describe(shape));
                }
            }
        }

        inference += Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>The yolo-layout output <c>[4 + columns, A]</c> of batch item <paramref name="b"/> from the last run.</summary>
    private ReadOnlySpan<float> ImageOutput(int b, int batch, int columns)
    {
        if (_graph.Anchors is { } anchors)
        {
            var length = (4 + columns) * anchors;
            return _output.AsSpan(b * length, length);
        }

        if (_scoresBoxes is not null)
        {
            var scores = _allocated![0].GetTensorDataAsSpan<float>();
            var boxes = _allocated[1].GetTensorDataAsSpan<float>();
            if (scores.Length % batch != 0 || boxes.Length % batch != 0)
            {
                throw GraphContract.Mismatch(null, _graph.OutputName, $"scores [{batch},A,{columns}] and boxes [{batch},A,4]",
                    $"{scores.Length} and {boxes.Length} floats, not a whole number of items for a batch of {batch}");
            }

            int scoresLength = scores.Length / batch, boxesLength = boxes.Length / batch;
            return _scoresBoxes.ToYolo(scores.Slice(b * scoresLength, scoresLength), boxes.Slice(b * boxesLength, boxesLength), columns);
        }

        var all = _allocated![0].GetTensorDataAsSpan<float>();
        var perImage = all.Length / batch;
        return all.Slice(b * perImage, perImage);
    }

    private void ReleaseOutputs()
    {
        _allocated?.Dispose();
        _allocated = null;
    }

    /// <summary>Sizes the input tensor and the per-item state for <paramref name="batch"/> images.</summary>
    private void EnsureBatch(int batch)
    {
        if (_inputValue is not null && _inputBatch == batch)
        {
            return;
        }

        if (_input.Length < batch * _plane)
        {
            _input = GC.AllocateArray<float>(batch * _plane, pinned: true);
        }

        if (_transforms.Length < batch)
        {
            Array.Resize(ref _transforms, batch);
            Array.Resize(ref _preprocessMs, batch);
            Array.Resize(ref _postprocessMs, batch);
            Array.Resize(ref _detections, batch);
            var merges = _merges.Length;
            Array.Resize(ref _merges, batch);
            for (var b = merges; b < batch; b++)
            {
                _merges[b] = new AnchorMerge();
            }
        }

        _inputValue?.Dispose();
        _inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, batch * _plane),
            [batch, 3, _graph.InputHeight, _graph.InputWidth]);
        _inputBatch = batch;
        _inputs[0] = _inputValue;
        _binding?.BindInput(_graph.ImagesName, _inputValue);
    }

    /// <summary>Binds the output tensor for <paramref name="batch"/> images and <paramref name="columns"/> score rows, over a pinned array reused while both stay.</summary>
    private void BindOutput(int batch, int columns, int anchors)
    {
        if (_outputValue is null || _outputColumns != columns || _outputBatch != batch)
        {
            var length = batch * (4 + columns) * anchors;
            if (_output.Length < length)
            {
                _output = GC.AllocateArray<float>(length, pinned: true);
            }

            _outputValue?.Dispose();
            _outputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _output.AsMemory(0, length), [batch, 4 + columns, anchors]);
            (_outputColumns, _outputBatch) = (columns, batch);
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
    /// Writes the embeddings of prompts [first, first+count) into the text tensor, padding up to
    /// <paramref name="columns"/> by repeating real prompts (zero rows would change YOLO-World's text-attending neck),
    /// once per image when the graph takes text per batch item (<c>[B,N,D]</c>), once when it takes <c>[1,N,D]</c>.
    /// </summary>
    private void FillText(ClassSet classes, int first, int count, int columns, int batch)
    {
        var dim = _graph.EmbeddingDim;
        var textBatch = _graph.TextPerImage ? batch : 1;
        var block = columns * dim;
        if (_text.Length < textBatch * block)
        {
            _text = GC.AllocateArray<float>(textBatch * block, pinned: true);
            _textValue?.Dispose();
            _textValue = null;
        }

        for (var c = 0; c < columns; c++)
        {
            classes.Embeddings.AsSpan((first + (c % count)) * dim, dim).CopyTo(_text.AsSpan(c * dim, dim));
        }

        for (var b = 1; b < textBatch; b++)
        {
            _text.AsSpan(0, block).CopyTo(_text.AsSpan(b * block, block));
        }

        if (_textValue is null || _textColumns != columns || _textBatch != textBatch)
        {
            _textValue?.Dispose();
            _textValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _text.AsMemory(0, textBatch * block), [textBatch, columns, dim]);
            (_textColumns, _textBatch) = (columns, textBatch);
            _inputs[1] = _textValue;
            _binding?.BindInput(_graph.TextName!, _textValue);
        }
    }

    public void Dispose()
    {
        ReleaseOutputs();
        _binding?.Dispose();
        _inputValue?.Dispose();
        _textValue?.Dispose();
        _outputValue?.Dispose();
        _resizeScratch.Dispose();
        _runOptions.Dispose();
    }
}
