using System.Text.Json;
using OpenVocab.Text;

namespace OpenVocab.Tests.Text;

/// <summary>The stock CLIP tokenizer and golden cases, loaded once for all tests.</summary>
internal static class StockTokenizer
{
    private static readonly Lazy<ClipTokenizer> Tokenizer = new(() => ClipTokenizer.FromBpeFile(TestPaths.StockVocabulary));
    private static readonly Lazy<GoldenCase[]> Cases = new(LoadGolden);

    public static ClipTokenizer Instance => Tokenizer.Value;

    public static IReadOnlyList<GoldenCase> Golden => Cases.Value;

    public static TheoryData<int> GoldenIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Golden.Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    private static GoldenCase[] LoadGolden()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.SharedClip, "tokenizer-golden.json")));
        var cases = new List<GoldenCase>();
        foreach (JsonElement e in doc.RootElement.EnumerateArray())
        {
            int contextLength = e.TryGetProperty("context_length", out JsonElement cl) ? cl.GetInt32()
                : e.TryGetProperty("contextLength", out cl) ? cl.GetInt32()
                : ClipTokenizer.DefaultContextLength;
            cases.Add(new GoldenCase(
                e.GetProperty("text").GetString()!,
                [.. e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())],
                e.TryGetProperty("truncated", out JsonElement t) && t.GetBoolean(),
                contextLength));
        }

        Assert.NotEmpty(cases);
        return [.. cases];
    }
}

internal sealed record GoldenCase(string Text, int[] Ids, bool Truncated, int ContextLength);
