using BenchmarkDotNet.Attributes;
using OpenCvSharp;
using OpenVocab.Classification;
using OpenVocab.Inference;
using OpenVocab.Search;

namespace OpenVocab.Benchmarks;

/// <summary>
/// CLIP image encoding on the shipped pack (Pillow-exact preprocessing included) at batch 1 and 8, the preprocessing
/// alone, zero-shot classification against 72 labels, and exact top-10 search over 100,000 random 512-d vectors.
/// </summary>
[MemoryDiagnoser]
public class ClassificationBenchmarks
{
    private const int SearchRows = 100_000;
    private const int SearchDimension = 512;

    private ImageEncoder? _encoder;
    private Mat[] _images = [];
    private float[] _pixels = [];
    private ImageIndex? _index;
    private ZeroShotClassifier? _classifier;
    private ZeroShotLabelSet? _labels;
    private float[] _query = [];

    [GlobalSetup(Targets = [nameof(EncodeBatch1), nameof(EncodeBatch8), nameof(ClipPreprocess)])]
    public void SetupEncoder()
    {
        _encoder = ImageEncoder.Load(ModelPack.Load(TestPaths.ShapesPack));
        // A sample photo when the checkout has samples/, else the largest classification eval image (487x393).
        string file = Directory.Exists(TestPaths.Samples)
            ? BenchmarkPaths.SampleImage
            : Path.Combine(TestPaths.ShapesPack, "eval", "classification", "images", "0239.jpg");
        using Mat sample = ImageLoaderRead(file);
        _images = [.. Enumerable.Range(0, 8).Select(_ => sample.Clone())];
        _pixels = new float[_encoder.Preprocessor.TensorLength];
    }

    [GlobalSetup(Target = nameof(Classify72))]
    public void SetupClassifier()
    {
        SetupEncoder();
        _classifier = ZeroShotClassifier.Load(TestPaths.ShapesPack);
        string[] colours = ["red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink"];
        string[] shapes = ["circle", "square", "triangle", "star", "hexagon", "cross", "heart", "diamond", "ring"];
        _labels = _classifier.CreateLabels([.. colours.SelectMany(c => shapes.Select(s => $"{c} {s}"))]);
    }

    [GlobalSetup(Target = nameof(Search100k))]
    public void SetupSearch()
    {
        var random = new Random(42);
        var vectors = new float[SearchRows * SearchDimension];
        for (int r = 0; r < SearchRows; r++)
        {
            Span<float> row = vectors.AsSpan(r * SearchDimension, SearchDimension);
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = (float)((random.NextDouble() * 2) - 1);
            }

            EmbeddingMath.Normalize(row);
        }

        _query = [.. Enumerable.Range(0, SearchDimension).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        EmbeddingMath.Normalize(_query);
        var identity = new ModelIdentity("random", 0, new string('0', 64), SearchDimension, 224);
        _index = ImageIndex.Create("/images", identity, [.. Enumerable.Range(0, SearchRows).Select(i => new ImageIndexEntry($"{i}.jpg", 0, 0))], vectors);
    }

    private static Mat ImageLoaderRead(string file) => OpenVocab.Imaging.ImageLoader.Read(file);

    [Benchmark]
    public float[] EncodeBatch1() => _encoder!.Encode(_images[0]);

    [Benchmark]
    public float[][] EncodeBatch8() => _encoder!.Encode(_images);

    [Benchmark]
    public void ClipPreprocess() => _encoder!.Preprocessor.Preprocess(_images[0], _pixels);

    /// <summary>One image against 72 labels whose text embeddings are already computed.</summary>
    [Benchmark]
    public ZeroShotResult Classify72() => _classifier!.Classify(_images[0], _labels!);

    [Benchmark]
    public IReadOnlyList<ImageSearchHit> Search100k() => _index!.Search(_query, 10);

    [GlobalCleanup]
    public void Cleanup()
    {
        _encoder?.Dispose();
        _classifier?.Dispose();
        foreach (Mat m in _images)
        {
            m.Dispose();
        }
    }
}
