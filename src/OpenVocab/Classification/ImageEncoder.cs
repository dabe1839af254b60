using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;
using OpenVocab.Imaging;
using OpenVocab.Inference;

namespace OpenVocab.Classification;

/// <summary>
/// A CLIP image encoder: images to L2-normalised embeddings through an ONNX graph taking <c>pixel_values</c>
/// float32 <c>[B, 3, S, S]</c> and giving <c>[B, D]</c>. Preprocessing is <see cref="ClipPreprocessor"/>
/// (Pillow-exact bicubic resize, centre crop, mean/std), written straight into the input tensor.
/// </summary>
/// <remarks>
/// Thread safety: all members may be called concurrently (<see cref="InferenceSession"/>'s <c>Run</c> is thread-safe
/// and every call owns its buffers). Dispose once, when no call is running.
/// Ownership: the encoder owns its ONNX session; the vectors it returns are new arrays, the caller's.
/// </remarks>
public sealed class ImageEncoder : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly RunOptions _runOptions = new();
    private readonly int _fixedBatch;
    private readonly PlaceholderInputs _placeholders;
    private readonly Lazy<ModelIdentity> _identity;
    private readonly EmbeddingOutput _embeddings;
    private long _imagesEncoded;
    private int _disposed;

    private ImageEncoder(InferenceSession session, string file, string packName, ImageEncoderManifest manifest, int maxBatch)
    {
        _session = session;
        ModelFile = file;
        string side = manifest.ImageSize?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "S";
        string expected = $"float32 [B, 3, {side}, {side}]";
        NodeMetadata input = GraphContract.Input(session, file, manifest.Input, TensorElementType.Float, 4, expected);
        NodeMetadata output = GraphContract.Output(session, file, manifest.Output, TensorElementType.Float, 2, "float32 [B, D]");
        int[] dims = input.Dimensions;
        GraphContract.Check(dims[1] <= 0 || dims[1] == 3, file, manifest.Input, expected, input);
        GraphContract.Check(dims[2] <= 0 || dims[3] <= 0 || dims[2] == dims[3], file, manifest.Input, "a square input " + expected, input);
        int graphSize = dims[2] > 0 ? dims[2] : dims[3];
        int size;
        if (manifest.ImageSize is { } declared)
        {
            GraphContract.Check(graphSize <= 0 || graphSize == declared, file, manifest.Input,
                $"float32 [B, 3, {declared}, {declared}] (imageEncoder.imageSize in the manifest)", input);

            size = declared;
        }
        else
        {
            size = graphSize > 0 ? graphSize
                : throw new ModelLoadException($"'{file}' input '{manifest.Input}' is {GraphContract.Describe(input)}: its size is dynamic, so the manifest must give imageEncoder.imageSize.");
        }

        _fixedBatch = dims[0] > 0 ? dims[0] : 0;
        _embeddings = new EmbeddingOutput(file, manifest.Output, output.Dimensions[1], "images");
        MaxBatchSize = _fixedBatch > 0 ? _fixedBatch : maxBatch;
        Preprocessor = new ClipPreprocessor(size, manifest.Mean, manifest.Std, manifest.CenterCrop == ImageEncoderManifest.CropFloor);
        _placeholders = PlaceholderInputs.Create(session, manifest.PlaceholderInputs, file);
        _inputNames = [manifest.Input, .. _placeholders.Names];
        _outputNames = [manifest.Output];
        _identity = new Lazy<ModelIdentity>(() => ModelIdentity.Of(packName, file, Dimension, size));
    }

    /// <summary>The ONNX file.</summary>
    public string ModelFile { get; }

    /// <summary>The preprocessing this encoder applies (input size, mean, std).</summary>
    public ClipPreprocessor Preprocessor { get; }

    /// <summary>Input size S.</summary>
    public int ImageSize => Preprocessor.ImageSize;

    /// <summary>The most images in one inference run (the graph's batch size when it fixes one).</summary>
    public int MaxBatchSize { get; }

    /// <summary>How many images have gone through the model (for tests and progress).</summary>
    public long ImagesEncoded => Interlocked.Read(ref _imagesEncoded);

    /// <summary>
    /// The embedding size D: from the graph, or learnt from the first run when the graph leaves it dynamic (reading it
    /// before any encoding then runs the model once on a blank image).
    /// </summary>
    public int Dimension
    {
        get
        {
            int d = _embeddings.Dimension;
            if (d == 0)
            {
                using var blank = new Mat(ImageSize, ImageSize, MatType.CV_8UC3, Scalar.All(0));
                Encode(blank);
                d = _embeddings.Dimension;
            }

            return d;
        }
    }

    /// <summary>
    /// What identifies this encoder's embedding space: pack name, ONNX file size and SHA-256, D and S. Embeddings from
    /// encoders with different identities must not be compared. Computed once, on first use (hashes the file).
    /// </summary>
    public ModelIdentity Identity => _identity.Value;

    /// <summary>Opens a model pack's image encoder, checking the graph against the manifest.</summary>
    /// <param name="pack">The pack; must have an <c>imageEncoder</c> entry.</param>
    /// <param name="inference">Session options; defaults when null.</param>
    /// <param name="logger">Receives execution-provider warnings.</param>
    /// <param name="maxBatchSize">The most images per inference run when the graph's batch is dynamic; larger batches are run in chunks.</param>
    /// <exception cref="ModelLoadException">The pack has no image encoder, or its file is missing or not loadable.</exception>
    /// <exception cref="ModelMismatchException">The graph's input or output differs from the manifest (name, type, rank, size).</exception>
    public static ImageEncoder Load(ModelPack pack, InferenceOptions? inference = null, ILogger? logger = null, int maxBatchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(pack);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ImageEncoderManifest manifest = pack.Manifest.ImageEncoder
            ?? throw new ModelLoadException($"Model pack '{pack.Directory}' has no image encoder: expected an \"imageEncoder\" entry in its manifest.");
        string file = pack.Resolve(manifest.Onnx);
        InferenceSession session = OnnxSessionFactory.Create(file, inference, logger);
        try
        {
            return new ImageEncoder(session, file, pack.Name, manifest, maxBatchSize);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Embeds one 8-bit BGR image.</summary>
    /// <returns>A new L2-normalised vector of <see cref="Dimension"/> floats, owned by the caller.</returns>
    public float[] Encode(Mat image) => Encode([image])[0];

    /// <summary>Embeds images (8-bit BGR, as <see cref="ImageLoader"/> gives), in runs of at most <see cref="MaxBatchSize"/>.</summary>
    /// <param name="images">At least one image; none is modified.</param>
    /// <returns>One new L2-normalised vector per image, in order, owned by the caller.</returns>
    public float[][] Encode(IReadOnlyList<Mat> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            throw new ArgumentException("At least one image is needed.", nameof(images));
        }

        var result = new float[images.Count][];
        for (int start = 0; start < images.Count; start += MaxBatchSize)
        {
            int count = Math.Min(MaxBatchSize, images.Count - start);
            RunBatch(images, start, count).CopyTo(result, start);
        }

        return result;
    }

    /// <summary>Reads and embeds image files.</summary>
    /// <param name="paths">At least one image file.</param>
    /// <returns>One new L2-normalised vector per file, in order.</returns>
    /// <exception cref="ImageDecodeException">A file is missing or not a decodable image (the message names it).</exception>
    public float[][] EncodeFiles(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var images = new List<Mat>(paths.Count);
        try
        {
            foreach (string path in paths)
            {
                images.Add(ImageLoader.Read(path));
            }

            return Encode(images);
        }
        finally
        {
            foreach (Mat m in images)
            {
                m.Dispose();
            }
        }
    }

    /// <summary>Disposes the session the encoder owns; call once no encoding is running.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _session.Dispose();
            _runOptions.Dispose();
        }
    }

    /// <summary>Runs one batch; returns its <paramref name="count"/> normalised embeddings.</summary>
    private float[][] RunBatch(IReadOnlyList<Mat> images, int start, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        int s = ImageSize;
        int per = Preprocessor.TensorLength;
        int rows = _fixedBatch > 0 ? _fixedBatch : count;
        // Pooled: a batch of 32 at 224 px is 19 MB, which would otherwise be a fresh large-object allocation per batch.
        float[] pixels = ArrayPool<float>.Shared.Rent(rows * per);
        OrtValue[] placeholders = [];
        try
        {
            for (int r = 0; r < count; r++)
            {
                Mat image = images[start + r] ?? throw new ArgumentException($"images[{start + r}] is null.", nameof(images));
                Preprocessor.Preprocess(image, pixels.AsSpan(r * per, per));
            }

            // A fixed-batch graph gets its spare rows filled with copies of the first; their outputs are dropped.
            for (int r = count; r < rows; r++)
            {
                pixels.AsSpan(0, per).CopyTo(pixels.AsSpan(r * per, per));
            }

            using OrtValue input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pixels.AsMemory(0, rows * per), [rows, 3, s, s]);
            placeholders = _placeholders.CreateValues();
            using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(_runOptions, _inputNames, [input, .. placeholders], _outputNames);
            Interlocked.Add(ref _imagesEncoded, count);
            return _embeddings.Read(outputs[0], rows, count);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(pixels);
            foreach (OrtValue value in placeholders)
            {
                value.Dispose();
            }
        }
    }
}
