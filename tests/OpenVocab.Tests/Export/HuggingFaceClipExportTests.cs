using System.Text.Json;
using OpenVocab.Inference;
using OpenVocab.Tests.Inference;
using OpenVocab.Text;
using Xunit.Abstractions;

namespace OpenVocab.Tests.Export;

/// <summary>
/// Runs a test only when <c>OPENVOCAB_HF_CLIP_DIR</c> names the output of
/// <c>models/export/check_hf_clip_folder.py --preset vit-b32</c> (about 1.5 GB, not in the repository).
/// </summary>
public sealed class HuggingFaceClipExportFactAttribute : FactAttribute
{
    public const string Variable = "OPENVOCAB_HF_CLIP_DIR";

    public HuggingFaceClipExportFactAttribute()
    {
        if (Dir is null)
        {
            Skip = $"{Variable} is not set: run models/export/check_hf_clip_folder.py --preset vit-b32 --out DIR and set {Variable}=DIR.";
        }
    }

    public static string? Dir => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } dir ? dir : null;
}

/// <summary>Random-weight OpenAI CLIP ViT-B/32 in both Hugging Face layouts against PyTorch and OpenAI's golden token ids.</summary>
public class HuggingFaceClipExportTests(ITestOutputHelper output)
{
    private static string Dir => HuggingFaceClipExportFactAttribute.Dir!;

    [HuggingFaceClipExportFact]
    public void Transformers_js_layout_matches_pytorch() => Check("xenova", null);

    [HuggingFaceClipExportFact]
    public void Optimum_layout_matches_pytorch() => Check("optimum", null);

    [HuggingFaceClipExportFact]
    public void Quantized_variant_stays_close_to_pytorch() => Check("xenova", "quantized");

    [HuggingFaceClipExportFact]
    public void Tokenizer_json_and_vocab_merges_give_openais_golden_ids()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.SharedData, "clip", "tokenizer-golden.json")));
        var fromJson = ClipTokenizer.FromTokenizerJson(Path.Combine(Dir, "xenova", "tokenizer.json"));
        var fromFiles = ClipTokenizer.FromHuggingFace(Path.Combine(Dir, "xenova", "vocab.json"), Path.Combine(Dir, "xenova", "merges.txt"));
        int count = 0;
        foreach (var entry in golden.RootElement.EnumerateArray())
        {
            string text = entry.GetProperty("text").GetString()!;
            int[] expected = [.. entry.GetProperty("ids").EnumerateArray().Select(v => v.GetInt32())];
            // The golden ids are untruncated; compare the part that fits the context, end-of-text kept last.
            if (expected.Length > ClipTokenizer.DefaultContextLength)
            {
                expected = [.. expected.Take(ClipTokenizer.DefaultContextLength - 1), expected[^1]];
            }

            Assert.Equal(expected, fromJson.Tokenize(text).Ids.ToArray());
            Assert.Equal(expected, fromFiles.Tokenize(text).Ids.ToArray());
            count++;
        }

        output.WriteLine($"{count} golden texts: ids equal from tokenizer.json and from vocab.json + merges.txt");
    }

    private void Check(string layout, string? variant)
    {
        var pack = ModelPack.Load(Path.Combine(Dir, layout), new ModelPackOptions { HuggingFace = new HuggingFaceClipOptions { Variant = variant } });
        var result = HuggingFaceClipParity.Compare(pack, Dir);
        output.WriteLine($"{layout}{(variant is null ? "" : " " + variant)}: ids equal for {result.Prompts} prompts; text min cosine {result.TextMinCosine:F9}; image min cosine {result.ImageMinCosine:F9} over {result.Images} images");
        double bound = variant is null ? 0.9999 : 0.99;
        Assert.True(result.TextMinCosine >= bound, $"text cosine {result.TextMinCosine}");
        Assert.True(result.ImageMinCosine >= bound, $"image cosine {result.ImageMinCosine}");
    }
}
