using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using OpenVocab.Imaging;
using OpenVocab.Inference;
using OpenVocab.Text;

namespace OpenVocab.Detection;

/// <summary>
/// Open-vocabulary object detector: text prompts given at run time are encoded by the pack's CLIP text encoder and
/// scored by a YOLO-World-style detector; closed-set YOLO exports work too (classes from their metadata).
/// Thread-safe: <see cref="Detect(Mat, DetectionOptions?, ClassSet?)"/> may be called from several threads at once;
/// each call rents its own buffers. <see cref="SetClasses(ClassSet)"/> takes effect for calls that start after it.
/// </summary>
/// <remarks>
/// Ownership: a detector owns everything <see cref="Load(string, InferenceOptions?, ILogger?)"/> opened for it, its ONNX
/// session and its <see cref="TextEncoder"/>, and disposes them in <see cref="Dispose"/>; do not dispose the
/// <see cref="TextEncoder"/> yourself. Results, class sets and returned lists are the caller's and outlive it.
/// </remarks>
public sealed partial class Detector : IDisposable
{
    private readonly InferenceSession _session;
    private readonly Graph _graph;
    private readonly ILogger _logger;
    private readonly ConcurrentBag<DetectorRunner> _runners = [];
    private readonly string[] _modelClassNames;
    private ClassSet? _classes;
    private bool _disposed;

    private Detector(InferenceSession session, DetectorManifest manifest, string file, TextEncoder? textEncoder, ILogger logger)
    {
        _session = session;
        _logger = logger;
        TextEncoder = textEncoder;

        var images = GraphContract.Input(session, file, manifest.Images, TensorElementType.Float, 4, "float32 [1,3,H,W]");
        GraphContract.Check(images.Dimensions[1] == 3 && images.Dimensions[2] > 0 && images.Dimensions[3] > 0, file, manifest.Images,
            "float32 [1,3,H,W] with H and W fixed", images);

        string outputName;
        string? boxesName = null;
        int outputColumns; // N as the output's shape fixes it, or -1 when that dimension is dynamic
        int? anchors = null; // A, when a yolo-layout graph fixes it: then each runner gives ONNX Runtime an output tensor it owns and reuses
        if (manifest.Layout == DetectorManifest.ScoresBoxesLayout)
        {
            outputName = manifest.Output ?? "scores";
            boxesName = manifest.Boxes ?? "boxes";
            var scores = GraphContract.Output(session, file, outputName, TensorElementType.Float, 3, "float32 [1,A,N] (scores)");
            var boxes = GraphContract.Output(session, file, boxesName, TensorElementType.Float, 3, "float32 [1,A,4] (x1,y1,x2,y2)");
            GraphContract.Check(boxes.Dimensions[2] == 4, file, boxesName, "float32 [1,A,4] (x1,y1,x2,y2 in input pixels)", boxes);

            outputColumns = (int)scores.Dimensions[2];
        }
        else
        {
            outputName = manifest.Output ?? session.OutputNames[0];
            var output = GraphContract.Output(session, file, outputName, TensorElementType.Float, 3, "float32 [1,4+N,A]");
            outputColumns = output.Dimensions[1] > 0 ? (int)output.Dimensions[1] - 4 : -1;
            anchors = output.Dimensions[2] > 0 ? output.Dimensions[2] : null;
        }

        if (manifest.TextInput is { } textName)
        {
            var text = GraphContract.Input(session, file, textName, TensorElementType.Float, 3, "float32 [1,N,D]");
            var dim = text.Dimensions[2];
            if (textEncoder is not null && dim != textEncoder.Dimension)
            {
                throw GraphContract.Mismatch(file, textName,
                    $"float32 [1,N,{textEncoder.Dimension}]: embeddings of the text encoder's size D={textEncoder.Dimension}",
                    $"{GraphContract.Describe(text)}, embeddings of size D={dim}: the pack's text encoder and detector do not belong together. " +
                    "Pair the detector with the CLIP text encoder it was trained with (models/export/export_yolo_world.py writes both into one pack)");
            }

            var graphN = text.Dimensions[1] > 0 ? text.Dimensions[1] : (int?)null;
            if (manifest.MaxClasses is { } declared && graphN is { } fixedN)
            {
                GraphContract.Check(declared == fixedN, file, textName, $"float32 [1,{declared},D] (maxClasses in the manifest)", text);
            }

            _modelClassNames = [];
            _graph = new Graph(manifest.Images, textName, outputName, images.Dimensions[3], images.Dimensions[2], dim, graphN ?? manifest.MaxClasses, [], boxesName, anchors);
        }
        else
        {
            _modelClassNames = ClosedSetNames(session, file, outputName, outputColumns);
            _graph = new Graph(manifest.Images, null, outputName, images.Dimensions[3], images.Dimensions[2], 0, _modelClassNames.Length, _modelClassNames, boxesName, anchors);
        }
    }

    /// <summary>Input width the image is letterboxed to.</summary>
    public int InputWidth => _graph.InputWidth;

    /// <summary>Input height the image is letterboxed to.</summary>
    public int InputHeight => _graph.InputHeight;

    /// <summary>Classes per run when the graph fixes N (fewer are padded, more are chunked); null when N is dynamic.</summary>
    public int? MaxClasses => _graph.MaxClasses;

    /// <summary>True when classes are given as text at run time; false for a closed-set export.</summary>
    public bool IsOpenVocabulary => _graph.TextName is not null;

    /// <summary>Class names baked into a closed-set export (empty for an open-vocabulary detector).</summary>
    public IReadOnlyList<string> ModelClassNames => _modelClassNames;

    /// <summary>The text encoder feeding the detector (null for closed-set packs). Owned by the detector, which disposes it.</summary>
    public TextEncoder? TextEncoder { get; }

    /// <summary>Classes used when a detect call names none. Null until set on an open-vocabulary detector.</summary>
    public ClassSet? Classes => Volatile.Read(ref _classes);

    /// <summary>Loads a pack (folder, manifest or closed-set .onnx) and opens its detector and text encoder.</summary>
    /// <exception cref="ModelLoadException">A file is missing or unreadable.</exception>
    /// <exception cref="ModelMismatchException">A graph does not match the manifest or the other graph.</exception>
    public static Detector Load(string packPath, InferenceOptions? inference = null, ILogger? logger = null) =>
        Load(ModelPack.Load(packPath), inference, logger);

    /// <inheritdoc cref="Load(string, InferenceOptions?, ILogger?)"/>
    public static Detector Load(ModelPack pack, InferenceOptions? inference = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(pack);
        var manifest = pack.Manifest.Detector
            ?? throw new ModelLoadException($"Model pack '{pack.Directory}' has no detector: expected a \"detector\" entry in its manifest.");
        logger ??= NullLogger.Instance;
        TextEncoder? text = null;
        InferenceSession? session = null;
        try
        {
            if (manifest.TextInput is not null)
            {
                text = TextEncoder.Load(pack, inference, logger);
            }

            var file = pack.Resolve(manifest.Onnx);
            session = OnnxSessionFactory.Create(file, inference, logger);
            var detector = new Detector(session, manifest, file, text, logger);
            if (!detector.IsOpenVocabulary)
            {
                detector.SetClasses(detector.CreateClassSet([.. detector._modelClassNames]));
            }

            return detector;
        }
        catch
        {
            session?.Dispose();
            text?.Dispose();
            throw;
        }
    }

    /// <summary>Builds a class set with each label as its own prompt. See <see cref="CreateClassSet(IReadOnlyList{ClassPrompt})"/>.</summary>
    public ClassSet CreateClassSet(params string[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return CreateClassSet(labels.Select(l => new ClassPrompt(l)).ToArray());
    }

    /// <summary>
    /// Validates classes and encodes their prompts (cached by prompt: a set seen before costs no text-encoder run).
    /// For a closed-set detector the labels must be names from <see cref="ModelClassNames"/> and act as a filter.
    /// </summary>
    /// <exception cref="ArgumentException">Empty list, blank or duplicate labels/prompts, or a closed-set name the model lacks.</exception>
    public ClassSet CreateClassSet(IReadOnlyList<ClassPrompt> classes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (labels, prompts, promptClass) = ClassSet.Validate(classes);
        if (!IsOpenVocabulary)
        {
            var ids = new int[labels.Length];
            for (var i = 0; i < labels.Length; i++)
            {
                ids[i] = Array.IndexOf(_modelClassNames, labels[i]);
                if (ids[i] < 0)
                {
                    throw new ArgumentException(
                        $"This closed-set detector has no class '{labels[i]}'; it knows only its baked-in classes: {string.Join(", ", _modelClassNames.Take(20))}{(_modelClassNames.Length > 20 ? ", ..." : "")}. Use an open-vocabulary pack for other names.",
                        nameof(classes));
                }
            }

            return new ClassSet(labels, prompts, promptClass, null, ids, _modelClassNames.Length);
        }

        var embeddings = new float[prompts.Length * _graph.EmbeddingDim];
        TextEncoder!.EncodeInto(prompts, embeddings);
        if (MaxClasses is { } max && prompts.Length != max)
        {
            if (prompts.Length > max)
            {
                LogChunked(_logger, prompts.Length, max, (prompts.Length + max - 1) / max);
            }
            else
            {
                LogPadded(_logger, prompts.Length, max);
            }
        }

        return new ClassSet(labels, prompts, promptClass, embeddings, null);
    }

    /// <summary>Sets the default classes from labels (each its own prompt).</summary>
    public void SetClasses(params string[] labels) => SetClasses(CreateClassSet(labels));

    /// <summary>Sets the default classes from labels with prompts.</summary>
    public void SetClasses(IReadOnlyList<ClassPrompt> classes) => SetClasses(CreateClassSet(classes));

    /// <summary>Sets the default classes; calls that start afterwards use them.</summary>
    public void SetClasses(ClassSet classes)
    {
        CheckBelongs(classes);
        Volatile.Write(ref _classes, classes);
    }

    /// <summary>Detects objects in an image file.</summary>
    /// <exception cref="ImageDecodeException">The file is missing or not a readable image.</exception>
    public DetectionResult Detect(string imagePath, DetectionOptions? options = null, ClassSet? classes = null)
    {
        using var image = ImageLoader.Read(imagePath);
        return Detect(image, options, classes);
    }

    /// <summary>Detects objects in an encoded image held in memory.</summary>
    public DetectionResult Detect(ReadOnlySpan<byte> encodedImage, DetectionOptions? options = null, ClassSet? classes = null)
    {
        using var image = ImageLoader.Decode(encodedImage);
        return Detect(image, options, classes);
    }

    /// <summary>
    /// Detects objects in a decoded image (8-bit BGR; gray, BGRA and 16-bit are converted). The image is not modified.
    /// </summary>
    /// <param name="image">The image.</param>
    /// <param name="options">Thresholds; ultralytics' predict defaults when null.</param>
    /// <param name="classes">Classes for this call; the detector's <see cref="Classes"/> when null.</param>
    public DetectionResult Detect(Mat image, DetectionOptions? options = null, ClassSet? classes = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(image);
        options ??= DetectionOptions.Default;
        classes ??= Classes ?? throw new InvalidOperationException("No classes are set: call SetClasses(...) or pass a ClassSet to Detect.");
        CheckBelongs(classes);

        var bgr = ImageLoader.ToBgr8(image, disposeInput: false);
        var runner = Rent();
        try
        {
            return runner.Run(bgr, classes, options);
        }
        finally
        {
            _runners.Add(runner);
            if (!ReferenceEquals(bgr, image))
            {
                bgr.Dispose();
            }
        }
    }

    /// <summary>Disposes the ONNX session and the <see cref="TextEncoder"/>; call once no detect call is running.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        while (_runners.TryTake(out var runner))
        {
            runner.Dispose();
        }

        _session.Dispose();
        TextEncoder?.Dispose();
    }

    /// <summary>A class set carries the embeddings (or model class ids) of the detector that made it.</summary>
    private void CheckBelongs(ClassSet classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var fits = IsOpenVocabulary
            ? classes.Embeddings is { } e && e.Length == classes.Prompts.Count * _graph.EmbeddingDim
            : classes.ModelClassIds is { } ids && ids.All(id => id < _modelClassNames.Length);
        if (!fits)
        {
            throw new ArgumentException("This class set was made by another kind of detector (open-vocabulary vs closed-set, or another embedding size); create it with this detector's CreateClassSet.", nameof(classes));
        }
    }

    private DetectorRunner Rent() => _runners.TryTake(out var runner) ? runner : new DetectorRunner(_session, _graph);

    private static string[] ClosedSetNames(InferenceSession session, string file, string outputName, int outputColumns)
    {
        var meta = session.ModelMetadata.CustomMetadataMap;
        if (!meta.TryGetValue("names", out var names))
        {
            throw GraphContract.Mismatch(file, ClosedSetMetadata.NamesEntry,
                "class names in the 'names' metadata (a closed-set YOLO export), or a manifest naming the detector's textInput",
                "no text input and no 'names' metadata");
        }

        var parsed = ClosedSetMetadata.ParseNames(names, file);
        if (outputColumns >= 0 && outputColumns != parsed.Length)
        {
            throw GraphContract.Mismatch(file, outputName, $"float32 [1,4+{parsed.Length},A]: one score row per class its 'names' metadata lists",
                $"{outputColumns} score rows");
        }

        return parsed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Prompts} prompts exceed the detector's fixed class count {MaxClasses}: running {Chunks} chunks. YOLO-World's neck attends over all prompts, so chunked scores approximate a single pass.")]
    private static partial void LogChunked(ILogger logger, int prompts, int maxClasses, int chunks);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Prompts} prompts padded to the detector's fixed class count {MaxClasses} by repeating real prompts.")]
    private static partial void LogPadded(ILogger logger, int prompts, int maxClasses);

    /// <summary>What a runner needs to know about the opened graph.</summary>
    /// <remarks><paramref name="BoxesName"/> is set for the scores-boxes layout, whose scores output is <paramref name="OutputName"/>.
    /// <paramref name="Anchors"/> is A when a yolo-layout graph fixes it.</remarks>
    internal sealed record Graph(string ImagesName, string? TextName, string OutputName, int InputWidth, int InputHeight,
        int EmbeddingDim, int? MaxClasses, IReadOnlyList<string> ModelClassNames, string? BoxesName, int? Anchors)
    {
        public int ModelClassCount => ModelClassNames.Count;
    }
}
