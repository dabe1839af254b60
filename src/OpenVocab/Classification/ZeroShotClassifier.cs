using System.Numerics.Tensors;
using Microsoft.Extensions.Logging;
using OpenCvSharp;
using OpenVocab.Inference;
using OpenVocab.Text;

namespace OpenVocab.Classification;

/// <summary>
/// CLIP zero-shot image classification: labels become text vectors through prompt templates, an image's embedding is
/// compared with each by cosine similarity, and <c>softmax(logitScale x cosine)</c> over the labels gives the scores.
/// Also the entry point for plain text and image embeddings.
/// </summary>
/// <remarks>
/// <para>Thread safety: all members may be called concurrently (both encoders are thread-safe).</para>
/// <para>
/// Ownership: a classifier made by <see cref="Load(string, InferenceOptions?, ILogger?)"/> owns the two encoders it
/// opened and disposes them in <see cref="Dispose"/> (as a <see cref="Detection.Detector"/> owns its text encoder). One
/// made with the constructor borrows the caller's encoders and never disposes them; the caller disposes them after
/// the classifier's last use. Results and embeddings it returns are the caller's.
/// </para>
/// </remarks>
public sealed class ZeroShotClassifier : IDisposable
{
    private readonly bool _ownsEncoders;

    /// <summary>Wraps existing encoders; the caller keeps ownership of them (<see cref="Dispose"/> leaves them open).</summary>
    /// <param name="textEncoder">The text half of a CLIP model.</param>
    /// <param name="imageEncoder">The image half of the same model.</param>
    /// <param name="logitScale">CLIP's learnt temperature (100 for OpenAI's models).</param>
    public ZeroShotClassifier(TextEncoder textEncoder, ImageEncoder imageEncoder, float logitScale = 100f)
        : this(textEncoder, imageEncoder, logitScale, ownsEncoders: false)
    {
    }

    private ZeroShotClassifier(TextEncoder textEncoder, ImageEncoder imageEncoder, float logitScale, bool ownsEncoders)
    {
        ArgumentNullException.ThrowIfNull(textEncoder);
        ArgumentNullException.ThrowIfNull(imageEncoder);
        if (!(logitScale > 0) || !float.IsFinite(logitScale))
        {
            throw new ArgumentOutOfRangeException(nameof(logitScale), logitScale, "The logit scale must be a positive finite number.");
        }

        TextEncoder = textEncoder;
        ImageEncoder = imageEncoder;
        LogitScale = logitScale;
        _ownsEncoders = ownsEncoders;
    }

    /// <summary>The text encoder (owned by this classifier when <see cref="Load(string, InferenceOptions?, ILogger?)"/> opened it).</summary>
    public TextEncoder TextEncoder { get; }

    /// <summary>The image encoder (owned by this classifier when <see cref="Load(string, InferenceOptions?, ILogger?)"/> opened it).</summary>
    public ImageEncoder ImageEncoder { get; }

    /// <summary>Multiplier of cosine similarities before the softmax.</summary>
    public float LogitScale { get; }

    /// <summary>
    /// Loads a pack (its folder or manifest, as <see cref="Detection.Detector.Load(string, InferenceOptions?, ILogger?)"/>
    /// takes it) and opens its text and image encoders, which the classifier then owns (the pack's
    /// <c>imageEncoder.logitScale</c> is used).
    /// </summary>
    /// <exception cref="ModelLoadException">The pack lacks either encoder, or a file is missing or invalid.</exception>
    /// <exception cref="ModelMismatchException">A graph differs from the manifest, or the two embedding sizes differ.</exception>
    public static ZeroShotClassifier Load(string packPath, InferenceOptions? inference = null, ILogger? logger = null) =>
        Load(ModelPack.Load(packPath), inference, logger);

    /// <inheritdoc cref="Load(string, InferenceOptions?, ILogger?)"/>
    public static ZeroShotClassifier Load(ModelPack pack, InferenceOptions? inference = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(pack);
        ImageEncoderManifest manifest = pack.Manifest.ImageEncoder
            ?? throw new ModelLoadException($"Model pack '{pack.Directory}' has no image encoder: zero-shot classification needs \"textEncoder\" and \"imageEncoder\" entries.");
        TextEncoder text = TextEncoder.Load(pack, inference, logger);
        ImageEncoder? image = null;
        try
        {
            image = ImageEncoder.Load(pack, inference, logger);
            if (text.Dimension != image.Dimension)
            {
                throw GraphContract.Mismatch(image.ModelFile, manifest.Output, $"float32 [B, {text.Dimension}] (the text encoder's embedding size)",
                    $"float32 [B, {image.Dimension}]");
            }

            return new ZeroShotClassifier(text, image, manifest.LogitScale, ownsEncoders: true);
        }
        catch
        {
            image?.Dispose();
            text.Dispose();
            throw;
        }
    }

    /// <summary>Turns labels into text vectors once, for classifying many images.</summary>
    /// <exception cref="ArgumentException">No labels, one label, blank or duplicate labels, or a template without <c>{}</c>.</exception>
    public ZeroShotLabelSet CreateLabels(IReadOnlyList<string> labels, ZeroShotOptions? options = null) =>
        ZeroShotLabelSet.Create(TextEncoder, labels, options);

    /// <summary>Turns labels with synonyms into text vectors once; see <see cref="ZeroShotLabelSet"/>.</summary>
    /// <exception cref="ArgumentException">No labels, one label, blank or duplicate labels, or a template without <c>{}</c>.</exception>
    public ZeroShotLabelSet CreateLabels(IReadOnlyList<ZeroShotLabel> labels, ZeroShotOptions? options = null) =>
        ZeroShotLabelSet.Create(TextEncoder, labels, options);

    /// <summary>Classifies one 8-bit BGR image.</summary>
    /// <param name="image">The image; not modified.</param>
    /// <param name="labels">Labels from <see cref="CreateLabels(IReadOnlyList{string}, ZeroShotOptions?)"/>.</param>
    /// <param name="topK">How many predictions to keep; null for all.</param>
    public ZeroShotResult Classify(Mat image, ZeroShotLabelSet labels, int? topK = null) => Classify([image], labels, topK)[0];

    /// <summary>Classifies images against one label set (the labels are encoded once; images in batches).</summary>
    /// <param name="images">8-bit BGR images; none modified.</param>
    /// <param name="labels">Labels from <see cref="CreateLabels(IReadOnlyList{string}, ZeroShotOptions?)"/>.</param>
    /// <param name="topK">How many predictions to keep per image; null for all.</param>
    /// <returns>One result per image, in order; new objects, the caller's.</returns>
    public IReadOnlyList<ZeroShotResult> Classify(IReadOnlyList<Mat> images, ZeroShotLabelSet labels, int? topK = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        float[][] embeddings = ImageEncoder.Encode(images);
        return [.. embeddings.Select(e => Score(e, labels, topK))];
    }

    /// <summary>Encodes <paramref name="labels"/> with <paramref name="options"/> and classifies the images (convenience).</summary>
    public IReadOnlyList<ZeroShotResult> Classify(IReadOnlyList<Mat> images, IReadOnlyList<string> labels, ZeroShotOptions? options = null)
    {
        options ??= ZeroShotOptions.Default;
        return Classify(images, CreateLabels(labels, options), options.TopK);
    }

    /// <summary>Reads image files and classifies them.</summary>
    /// <exception cref="ImageDecodeException">A file is missing or not a decodable image.</exception>
    public IReadOnlyList<ZeroShotResult> ClassifyFiles(IReadOnlyList<string> paths, ZeroShotLabelSet labels, int? topK = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return [.. ImageEncoder.EncodeFiles(paths).Select(e => Score(e, labels, topK))];
    }

    /// <summary>
    /// Scores an image embedding against a label set: cosine similarities, softmax of <see cref="LogitScale"/> x cosine,
    /// sorted best first (ties by label order).
    /// </summary>
    /// <param name="imageEmbedding">An L2-normalised image embedding of the label set's dimension.</param>
    /// <param name="labels">The labels.</param>
    /// <param name="topK">How many predictions to keep; null for all.</param>
    public ZeroShotResult Score(float[] imageEmbedding, ZeroShotLabelSet labels, int? topK = null)
    {
        ArgumentNullException.ThrowIfNull(imageEmbedding);
        ArgumentNullException.ThrowIfNull(labels);
        if (topK is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(topK), topK, "Top-k must be at least 1 (or null for all labels).");
        }

        int n = labels.Count, d = labels.Dimension;
        if (imageEmbedding.Length != d)
        {
            throw new ArgumentException($"The image embedding has {imageEmbedding.Length} values but the labels have {d}: they come from different models.", nameof(imageEmbedding));
        }

        var similarities = new float[n];
        for (int i = 0; i < n; i++)
        {
            similarities[i] = TensorPrimitives.Dot(imageEmbedding, labels.Vector(i));
        }

        var scores = new float[n];
        EmbeddingMath.ScaledSoftmax(similarities, LogitScale, scores);
        var predictions = new ZeroShotPrediction[n];
        for (int i = 0; i < n; i++)
        {
            predictions[i] = new ZeroShotPrediction(labels.Labels[i], i, scores[i], similarities[i]);
        }

        Array.Sort(predictions, static (a, b) => a.Similarity != b.Similarity ? b.Similarity.CompareTo(a.Similarity) : a.Index.CompareTo(b.Index));
        int keep = Math.Min(topK ?? n, n);
        return new ZeroShotResult(keep == n ? predictions : predictions[..keep], imageEmbedding);
    }

    /// <summary>L2-normalised text embeddings of <paramref name="texts"/> (used as given, no template).</summary>
    /// <returns>New arrays, the caller's.</returns>
    public float[][] EmbedText(IReadOnlyList<string> texts) => [.. TextEncoder.Encode(texts).Select(m => m.ToArray())];

    /// <summary>L2-normalised image embeddings of 8-bit BGR images.</summary>
    /// <returns>New arrays, the caller's.</returns>
    public float[][] EmbedImages(IReadOnlyList<Mat> images) => ImageEncoder.Encode(images);

    /// <summary>L2-normalised image embeddings of image files.</summary>
    /// <exception cref="ImageDecodeException">A file is missing or not a decodable image.</exception>
    public float[][] EmbedImageFiles(IReadOnlyList<string> paths) => ImageEncoder.EncodeFiles(paths);

    /// <summary>Disposes the encoders when <see cref="Load(string, InferenceOptions?, ILogger?)"/> opened them; borrowed ones stay open.</summary>
    public void Dispose()
    {
        if (_ownsEncoders)
        {
            ImageEncoder.Dispose();
            TextEncoder.Dispose();
        }
    }
}
