using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using OpenVocab.Classification;
using OpenVocab.Imaging;
using OpenVocab.Inference;
using OpenVocab.Text;

namespace OpenVocab.Detection;

/// <summary>
/// Open-vocabulary object detector: text prompts given at run time are encoded by the pack's CLIP text encoder and
/// scored by a YOLO-World-style detector; closed-set YOLO exports work too (classes from their metadata).
/// Thread-safe: <see cref="Detect(Mat, DetectionOptions?, ClassSet?)"/> and <see cref="DetectBatch"/> may be called
/// from several threads at once; each call rents its own buffers. <see cref="SetClasses(ClassSet)"/> takes effect for calls that start after it.
/// </summary>
/// <remarks>
/// Ownership: a detector owns everything <see cref="Load(string, InferenceOptions?, ILogger?)"/> opened for it, its ONNX
/// session, its <see cref="TextEncoder"/> and the image encoder it opens on first use for exemplar prompts, and disposes
/// them in <see cref="Dispose"/>; do not dispose the <see cref="TextEncoder"/> yourself. Results, class sets and returned lists are the caller's and outlive it.
/// </remarks>
public sealed partial class Detector : IDisposable
{
    private readonly InferenceSession _session;
    private readonly Graph _graph;
    private readonly ILogger _logger;
    private readonly ConcurrentBag<DetectorRunner> _runners = [];
    private readonly string[] _modelClassNames;
    private readonly ModelPack _pack;
    private readonly InferenceOptions? _inference;
    // The CLIP image tower, opened on first use (exemplars, attributes): a text-only caller never pays for loading it.
    private readonly Lazy<ZeroShotClassifier> _clip;
    // Exemplar embeddings by content hash (SHA-256 of the encoded bytes): values are never modified once stored.
    private readonly EmbeddingCache _exemplarCache = new(1024);
    private ClassSet? _classes;
    private bool _disposed;

    private Detector(InferenceSession session, DetectorManifest manifest, string file, TextEncoder? textEncoder, ModelPack pack, InferenceOptions? inference, ILogger logger)
    {
        _session = session;
        _logger = logger;
        _pack = pack;
        _inference = inference;
        _clip = new Lazy<ZeroShotClassifier>(OpenClip, LazyThreadSafetyMode.ExecutionAndPublication);
        TextEncoder = textEncoder;

        var images = GraphContract.Input(session, file, manifest.Images, TensorElementType.Float, 4, "float32 [B,3,H,W]");
        GraphContract.Check((images.Dimensions[0] is 1 or < 0) && images.Dimensions[1] == 3 && images.Dimensions[2] > 0 && images.Dimensions[3] > 0, file, manifest.Images,
            "float32 [B,3,H,W] with B dynamic or 1 and H and W fixed", images);

        var dynamicBatch = images.Dimensions[0] < 0;

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
            var text = GraphContract.Input(session, file, textName, TensorElementType.Float, 3, "float32 [B,N,D]");
            GraphContract.Check(text.Dimensions[0] is 1 or < 0, file, textName,
                "float32 [B,N,D] with B dynamic (one prompt set per image) or 1 (shared by the batch)", text);

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
            _graph = new Graph(manifest.Images, textName, outputName, images.Dimensions[3], images.Dimensions[2], dim, graphN ?? manifest.MaxClasses, [], boxesName, anchors,
                dynamicBatch, TextPerImage: text.Dimensions[0] < 0);
        }
        else
        {
            _modelClassNames = ClosedSetNames(session, file, outputName, outputColumns);
            _graph = new Graph(manifest.Images, null, outputName, images.Dimensions[3], images.Dimensions[2], 0, _modelClassNames.Length, _modelClassNames, boxesName, anchors,
                dynamicBatch, TextPerImage: false);
        }
    }

    /// <summary>Input width the image is letterboxed to.</summary>
    public int InputWidth => _graph.InputWidth;

    /// <summary>Input height the image is letterboxed to.</summary>
    public int InputHeight => _graph.InputHeight;

    /// <summary>Classes per run when the graph fixes N (fewer are padded, more are chunked); null when N is dynamic.</summary>
    public int? MaxClasses => _graph.MaxClasses;

    /// <summary>
    /// Most images in one ONNX run of <see cref="DetectBatch"/>; longer lists run in several batches. Bounds the
    /// input tensor a call rents (32 x 3 x 640 x 640 floats are 157 MB).
    /// </summary>
    public const int MaxBatch = 32;

    /// <summary>True when the graph takes a dynamic batch, so <see cref="DetectBatch"/> runs a batch in one ONNX run.</summary>
    public bool SupportsBatch => _graph.DynamicBatch;

    /// <summary>True when classes are given as text at run time; false for a closed-set export.</summary>
    public bool IsOpenVocabulary => _graph.TextName is not null;

    /// <summary>
    /// True when classes may be given by example images and attributes classified on boxes: an open-vocabulary
    /// detector whose pack has a CLIP image encoder. Services check it to refuse such a request up front.
    /// </summary>
    public bool CanUseImagePrompts => IsOpenVocabulary && _pack.Manifest.ImageEncoder is not null;

    /// <summary>Class names baked into a closed-set export (empty for an open-vocabulary detector).</summary>
    public IReadOnlyList<string> ModelClassNames => _modelClassNames;

    /// <summary>The text encoder feeding the detector (null for closed-set packs). Owned by the detector, which disposes it.</summary>
    public TextEncoder? TextEncoder { get; }

    /// <summary>Classes used when a detect call names none. Null until set on an open-vocabulary detector.</summary>
    public ClassSet? Classes => Volatile.Read(ref _classes);

    /// <summary>
    /// Loads a pack (folder, manifest or closed-set .onnx) and opens its detector and text encoder. The manifest may name
    /// only files inside the pack folder; load the pack with <see cref="ModelPack.Load(string, ModelPackOptions?)"/> and
    /// pass it to <see cref="Load(ModelPack, InferenceOptions?, ILogger?)"/> to allow others.
    /// </summary>
    /// <exception cref="ModelLoadException">A file is missing, unreadable, a symbolic link loop, or outside the pack folder.</exception>
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
            var detector = new Detector(session, manifest, file, text, pack, inference, logger);
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
    public ClassSet CreateClassSet(IReadOnlyList<ClassPrompt> classes) => CreateClassSet(new PromptSet(classes));

    /// <summary>
    /// Validates everything the prompt set asks for, then encodes it: text prompts through the text encoder (cached by
    /// prompt), example images through the pack's CLIP image encoder (cached by content hash; several per class and
    /// text+image are averaged, then L2-normalised), and attribute labels through the text encoder. A bad request throws
    /// before anything is encoded; the detector's default classes are never touched by this call.
    /// For a closed-set detector the labels must be names from <see cref="ModelClassNames"/> and act as a filter.
    /// </summary>
    /// <exception cref="ArgumentException">Empty class list, blank or duplicate labels/prompts, a closed-set name the model
    /// lacks, attributes for a class not in the list, or exemplars/attributes asked of a pack (or a closed-set
    /// detector) without a CLIP image encoder (see <see cref="CanUseImagePrompts"/>). Its
    /// <see cref="ArgumentException.ParamName"/> is the <see cref="PromptSet"/> member at fault: Classes, Negatives,
    /// Attributes, or Exemplars (image prompts this detector cannot use).</exception>
    /// <exception cref="ImageDecodeException">An exemplar stopped being decodable (its bytes were checked when it was made).</exception>
    public ClassSet CreateClassSet(PromptSet prompts)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var plan = ClassSet.Plan(prompts);
        var (labels, promptClass) = (plan.Labels, plan.PromptClass);
        var needsImages = plan.ExemplarCount > 0 || plan.Attributes.Length > 0;
        if (needsImages)
        {
            CheckImageTower(plan);
        }

        if (!IsOpenVocabulary)
        {
            if (plan.Negatives.Length > 0)
            {
                throw ClassSet.PromptError($"This detector is a closed-set export; negative prompts ('{plan.Negatives[0]}') need an open-vocabulary pack.", nameof(PromptSet.Negatives));
            }

            var ids = new int[labels.Length];
            for (var i = 0; i < labels.Length; i++)
            {
                ids[i] = Array.IndexOf(_modelClassNames, labels[i]);
                if (ids[i] < 0)
                {
                    throw ClassSet.PromptError(
                        $"This closed-set detector has no class '{labels[i]}'; it knows only its baked-in classes: {string.Join(", ", _modelClassNames.Take(20))}{(_modelClassNames.Length > 20 ? ", ..." : "")}. Use an open-vocabulary pack for other names.",
                        nameof(PromptSet.Classes));
                }
            }

            return new ClassSet(labels, plan.Names, promptClass, null, ids, _modelClassNames.Length);
        }

        var columns = plan.Names.Length;
        var embeddings = EncodeColumns(plan);
        if (MaxClasses is { } max && columns != max)
        {
            if (columns > max)
            {
                LogChunked(_logger, columns, max, (columns + max - 1) / max);
            }
            else
            {
                LogPadded(_logger, columns, max);
            }
        }

        AttributeLabels?[]? byClass = null;
        if (plan.Attributes.Length > 0)
        {
            byClass = new AttributeLabels?[labels.Length];
            foreach (var (attribute, cls) in plan.Attributes)
            {
                byClass[cls] = new AttributeLabels(ZeroShotLabelSet.Create(TextEncoder!, attribute.Labels, attribute.Templates), attribute.TopK);
            }
        }

        return new ClassSet(labels, plan.Names, promptClass, embeddings, null)
        {
            ExemplarCount = plan.ExemplarCount,
            Negatives = plan.Negatives,
            Attributes = [.. plan.Attributes.Select(a => a.Prompt)],
            AttributeByClass = byClass,
        };
    }

    /// <summary>
    /// The [columns, D] embeddings of a validated plan: each text column's text embedding, each class's exemplars'
    /// normalised mean, and for a class with both, per text column the normalised mean of the two (equal weights).
    /// </summary>
    private float[] EncodeColumns(ClassSetPlan plan)
    {
        var dim = _graph.EmbeddingDim;
        var embeddings = new float[plan.Names.Length * dim];
        var textColumns = Enumerable.Range(0, plan.Names.Length).Where(c => plan.Texts[c] is not null).ToArray();
        if (textColumns.Length > 0)
        {
            var encoded = TextEncoder!.Encode([.. textColumns.Select(c => plan.Texts[c]!)]);
            for (var k = 0; k < textColumns.Length; k++)
            {
                encoded[k].Span.CopyTo(embeddings.AsSpan(textColumns[k] * dim, dim));
            }
        }

        if (plan.ExemplarCount == 0)
        {
            return embeddings;
        }

        var imageMeans = EncodeExemplars(plan.Exemplars);
        for (var c = 0; c < plan.Names.Length; c++)
        {
            if (imageMeans[plan.PromptClass[c]] is not { } mean)
            {
                continue;
            }

            var column = embeddings.AsSpan(c * dim, dim);
            if (plan.Texts[c] is null)
            {
                mean.CopyTo(column);
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Add(column, mean, column);
                EmbeddingMath.Normalize(column);
            }
        }

        return embeddings;
    }

    /// <summary>Per class, the normalised mean of its exemplars' image embeddings (null for a class without); uncached exemplars in one encoder call.</summary>
    private float[]?[] EncodeExemplars(ImageExemplar[][] exemplars)
    {
        var encoder = _clip.Value.ImageEncoder;
        var missing = new Dictionary<string, ImageExemplar>(StringComparer.Ordinal);
        var found = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var exemplar in exemplars.SelectMany(e => e))
        {
            if (!found.ContainsKey(exemplar.ContentHash))
            {
                if (_exemplarCache.TryGet(exemplar.ContentHash, out var cached))
                {
                    found[exemplar.ContentHash] = cached;
                }
                else
                {
                    missing.TryAdd(exemplar.ContentHash, exemplar);
                }
            }
        }

        if (missing.Count > 0)
        {
            var images = new List<Mat>(missing.Count);
            try
            {
                foreach (var exemplar in missing.Values)
                {
                    images.Add(exemplar.Decode());
                }

                var vectors = encoder.Encode(images);
                var k = 0;
                foreach (var hash in missing.Keys)
                {
                    found[hash] = vectors[k++];
                    _exemplarCache.Set(hash, found[hash]);
                }
            }
            finally
            {
                foreach (var image in images)
                {
                    image.Dispose();
                }
            }
        }

        var means = new float[]?[exemplars.Length];
        for (var i = 0; i < exemplars.Length; i++)
        {
            if (exemplars[i].Length > 0)
            {
                means[i] = EmbeddingMath.NormalizedMean([.. exemplars[i].Select(e => (ReadOnlyMemory<float>)found[e.ContentHash])]);
            }
        }

        return means;
    }

    /// <summary>Exemplars and attributes need an open-vocabulary detector and a CLIP image encoder in the pack.</summary>
    private void CheckImageTower(ClassSetPlan plan)
    {
        var byImages = plan.ExemplarCount > 0;
        var what = byImages
            ? $"'{plan.Labels.Concat(plan.Negatives).ElementAt(Array.FindIndex(plan.Exemplars, e => e.Length > 0))}' is given by example images"
            : $"attributes are asked for class '{plan.Attributes[0].Prompt.ClassLabel}'";
        var member = byImages ? nameof(ClassPrompt.Exemplars) : nameof(PromptSet.Attributes);
        if (!IsOpenVocabulary)
        {
            throw ClassSet.PromptError($"This detector is a closed-set export, but {what}: exemplars and attributes need an open-vocabulary pack with a CLIP image encoder.", member);
        }

        if (!CanUseImagePrompts)
        {
            throw ClassSet.PromptError(
                $"Model pack '{_pack.Directory}' has no image encoder (no \"imageEncoder\" entry in its manifest), but {what}: exemplars and attributes need the pack's CLIP image tower. " +
                "Use a pack that has one (models/export/export_yolo_world.py packages CLIP ViT-B/32's image tower with the detector), or give the class as text.", member);
        }
    }

    /// <summary>Opens the pack's image encoder beside the detector's text encoder; they must share one embedding space.</summary>
    private ZeroShotClassifier OpenClip()
    {
        var image = ImageEncoder.Load(_pack, _inference, _logger);
        try
        {
            if (image.Dimension != _graph.EmbeddingDim)
            {
                throw GraphContract.Mismatch(image.ModelFile, _pack.Manifest.ImageEncoder!.Output, $"float32 [B, {_graph.EmbeddingDim}] (the detector's embedding size)",
                    $"float32 [B, {image.Dimension}]");
            }

            return new ZeroShotClassifier(TextEncoder!, image, _pack.Manifest.ImageEncoder!.LogitScale);
        }
        catch
        {
            image.Dispose();
            throw;
        }
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
        classes.ColumnConfidence(options);

        var bgr = ImageLoader.ToBgr8(image, disposeInput: false);
        try
        {
            DetectionResult result;
            var runner = Rent();
            try
            {
                result = runner.Run(bgr, classes, options);
            }
            finally
            {
                _runners.Add(runner);
            }

            return classes.AttributeByClass is { } byClass ? AttributeClassifier.Apply(bgr, result, byClass, _clip.Value) : result;
        }
        finally
        {
            if (!ReferenceEquals(bgr, image))
            {
                bgr.Dispose();
            }
        }
    }

    /// <summary>
    /// Detects objects in several decoded images (8-bit BGR; gray, BGRA and 16-bit are converted) with one ONNX run
    /// for the batch when the detector's graph takes a dynamic batch: every image is letterboxed into one
    /// <c>[B,3,H,W]</c> tensor (lists longer than <see cref="MaxBatch"/> run in several batches of at most that many).
    /// A graph that fixes the batch at 1 runs one image at a time. Either way each result equals what
    /// <see cref="Detect(Mat, DetectionOptions?, ClassSet?)"/> gives for that image, up to float rounding inside
    /// ONNX Runtime (batched kernels may sum in another order: scores agree to about 1e-6). The images are not modified.
    /// </summary>
    /// <remarks>
    /// Thread-safe like <see cref="Detect(Mat, DetectionOptions?, ClassSet?)"/>; each call rents its own buffers,
    /// sized for the largest batch it has run, so steady calls of one batch size allocate only their results.
    /// Timings per result: preprocessing and postprocessing are that image's own; <see cref="StageTimings.InferenceMs"/>
    /// is the run time of its batch divided evenly by the batch size (one run cannot be split further), so the
    /// inference times of a batch sum to its ONNX time.
    /// </remarks>
    /// <param name="images">The images; none may be null or empty. The list may be empty (no run).</param>
    /// <param name="options">Thresholds; ultralytics' predict defaults when null.</param>
    /// <param name="classes">Classes for every image of this call; the detector's <see cref="Classes"/> when null.</param>
    /// <returns>One result per image, in order. The caller owns them.</returns>
    /// <exception cref="ArgumentException">An image is null.</exception>
    /// <exception cref="ImageDecodeException">An image is empty; the message gives its position.</exception>
    public IReadOnlyList<DetectionResult> DetectBatch(IReadOnlyList<Mat> images, DetectionOptions? options = null, ClassSet? classes = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(images);
        options ??= DetectionOptions.Default;
        classes ??= Classes ?? throw new InvalidOperationException("No classes are set: call SetClasses(...) or pass a ClassSet to DetectBatch.");
        CheckBelongs(classes);
        classes.ColumnConfidence(options);
        if (images.Count == 0)
        {
            return [];
        }

        // Images already in 8-bit BGR (the usual case) are used as they are; others are converted into copies.
        Mat[]? converted = null;
        try
        {
            for (var i = 0; i < images.Count; i++)
            {
                var image = images[i] ?? throw new ArgumentException($"Image {i} of the batch is null.", nameof(images));
                Mat bgr;
                try
                {
                    bgr = ImageLoader.ToBgr8(image, disposeInput: false);
                }
                catch (ImageDecodeException e)
                {
                    throw new ImageDecodeException($"Image {i} of the batch of {images.Count}: {e.Message}", e);
                }

                if (!ReferenceEquals(bgr, image))
                {
                    converted ??= [.. images];
                    converted[i] = bgr;
                }
            }

            var source = (IReadOnlyList<Mat>?)converted ?? images;
            var results = new DetectionResult[images.Count];
            var step = _graph.DynamicBatch ? MaxBatch : 1;
            var runner = Rent();
            try
            {
                for (var first = 0; first < images.Count; first += step)
                {
                    runner.Run(source, first, Math.Min(step, images.Count - first), classes, options, results);
                }
            }
            finally
            {
                _runners.Add(runner);
            }

            if (classes.AttributeByClass is { } byClass)
            {
                for (var i = 0; i < results.Length; i++)
                {
                    results[i] = AttributeClassifier.Apply(source[i], results[i], byClass, _clip.Value);
                }
            }

            return results;
        }
        finally
        {
            for (var i = 0; converted is not null && i < converted.Length; i++)
            {
                if (!ReferenceEquals(converted[i], images[i]))
                {
                    converted[i].Dispose();
                }
            }
        }
    }

    /// <summary>The pack's CLIP image encoder with the detector's text encoder, opened on first use (tests, benchmarks).</summary>
    internal ZeroShotClassifier Clip => _clip.Value;

    /// <summary>Empties the exemplar embedding cache (benchmarks time an uncached encode).</summary>
    internal void ClearExemplarCache() => _exemplarCache.Clear();

    /// <summary>
    /// Checks options against a class set without detecting: every label in <see cref="DetectionOptions.ClassConfidence"/>
    /// must be a class of it. Services call this when their configuration is loaded, so a typo fails at start, not on
    /// the first frame.
    /// </summary>
    /// <param name="options">The options to check.</param>
    /// <param name="classes">The classes; the detector's <see cref="Classes"/> when null.</param>
    /// <exception cref="ArgumentException">A per-class threshold names a class the set does not have.</exception>
    /// <exception cref="InvalidOperationException">No classes given and none set.</exception>
    public void CheckOptions(DetectionOptions options, ClassSet? classes = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        classes ??= Classes ?? throw new InvalidOperationException("No classes are set: call SetClasses(...) or pass a ClassSet.");
        CheckBelongs(classes);
        classes.ColumnConfidence(options);
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
        if (_clip.IsValueCreated)
        {
            _clip.Value.ImageEncoder.Dispose();
        }

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
    /// <paramref name="Anchors"/> is A when a yolo-layout graph fixes it. <paramref name="DynamicBatch"/>: the images
    /// input takes any B (else B = 1). <paramref name="TextPerImage"/>: the text input's batch dimension is dynamic,
    /// so it is fed one copy of the prompt set per image ([B,N,D]); otherwise [1,N,D].</remarks>
    internal sealed record Graph(string ImagesName, string? TextName, string OutputName, int InputWidth, int InputHeight,
        int EmbeddingDim, int? MaxClasses, IReadOnlyList<string> ModelClassNames, string? BoxesName, int? Anchors,
        bool DynamicBatch, bool TextPerImage)
    {
        public int ModelClassCount => ModelClassNames.Count;
    }
}
