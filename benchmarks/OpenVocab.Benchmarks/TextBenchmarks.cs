using BenchmarkDotNet.Attributes;
using OpenVocab.Detection;
using OpenVocab.Text;

namespace OpenVocab.Benchmarks;

/// <summary>
/// Text side of a class switch with 80 prompts on the shipped pack: the stock CLIP tokenizer alone (77 tokens,
/// 49,408-token vocabulary), a class set whose prompts are all new (one batched encoder run), and one whose
/// prompts are all cached (no run).
/// </summary>
[MemoryDiagnoser]
public class TextBenchmarks
{
    private static readonly string[] Colours = ["red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink", "black", "white"];
    private static readonly string[] Shapes = ["circle", "square", "triangle", "star", "hexagon", "cross", "heart", "diamond"];
    private readonly string[] _prompts = [.. Colours.SelectMany(c => Shapes.Select(s => $"a photo of a {c} {s}"))];
    private readonly long[] _ids = new long[80 * ClipTokenizer.DefaultContextLength];
    private readonly ClipTokenizationInfo[] _infos = new ClipTokenizationInfo[80];
    private ClipTokenizer _stock = null!;
    private Detector _detector = null!;

    [GlobalSetup]
    public void Setup()
    {
        _stock = ClipTokenizer.FromBpeFile(TestPaths.StockVocabulary);
        _detector = Detector.Load(TestPaths.ShapesPack);
        _detector.CreateClassSet(_prompts);
    }

    [Benchmark]
    public void Tokenize80() => _stock.TokenizeBatch(_prompts, _ids, _infos);

    [Benchmark]
    public ClassSet ClassSet80Uncached()
    {
        _detector.TextEncoder!.ClearCache();
        return _detector.CreateClassSet(_prompts);
    }

    [Benchmark]
    public ClassSet ClassSet80Cached() => _detector.CreateClassSet(_prompts);

    [GlobalCleanup]
    public void Cleanup() => _detector.Dispose();
}
