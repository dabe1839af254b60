using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using OpenVocab.Text;

namespace OpenVocab.Tests.Text;

/// <summary>
/// The shipped ShapesWorld text encoder (models/shapes) against the PyTorch reference written at export time:
/// token ids equal exactly, embeddings with cosine at least 0.9999.
/// </summary>
public sealed class ShapesTextEncoderParityTests
{
    private static string ShapesDirectory => Path.Combine(TextTestPaths.RepoRoot, "models", "shapes");

    private static (TextEncoder Encoder, ClipTokenizer Tokenizer) Load()
    {
        string dir = ShapesDirectory;
        string onnx = Path.Combine(dir, "text.onnx");
        Assert.True(File.Exists(onnx), $"{onnx} is missing: the ShapesWorld model pack is not in this checkout.");

        string inputIds = "input_ids", output = "text_embeds";
        int contextLength = 16;
        string manifest = Path.Combine(dir, "openvocab.json");
        if (File.Exists(manifest))
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(manifest));
            if (doc.RootElement.TryGetProperty("textEncoder", out JsonElement text))
            {
                inputIds = text.TryGetProperty("inputIds", out JsonElement v) ? v.GetString()! : inputIds;
                output = text.TryGetProperty("output", out v) ? v.GetString()! : output;
                contextLength = text.TryGetProperty("contextLength", out v) ? v.GetInt32() : contextLength;
            }
        }

        ClipTokenizer tokenizer = ClipTokenizer.FromBpeFile(Path.Combine(dir, "vocab.bpe.txt"), contextLength);
        var session = new InferenceSession(onnx);
        try
        {
            return (new TextEncoder(session, tokenizer, inputIds, output), tokenizer);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static List<(string Prompt, int[] Ids, float[] Embedding)> LoadReference()
    {
        string path = Path.Combine(ShapesDirectory, "reference", "text_embeds.json");
        Assert.True(File.Exists(path), $"{path} is missing.");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement root = doc.RootElement;
        var cases = new List<(string, int[], float[])>();

        static JsonElement Pick(JsonElement e, params string[] names)
        {
            foreach (string name in names)
            {
                if (e.TryGetProperty(name, out JsonElement v))
                {
                    return v;
                }
            }

            throw new KeyNotFoundException($"none of {string.Join(", ", names)} in the reference");
        }

        string[] promptKeys = ["prompts", "prompt", "text", "texts"];
        string[] idKeys = ["ids", "input_ids", "token_ids"];
        string[] embeddingKeys = ["text_embeds", "embeddings", "embedding", "embeds"];
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("cases", out JsonElement list))
        {
            root = list;
        }

        if (root.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement e in root.EnumerateArray())
            {
                cases.Add((Pick(e, promptKeys).GetString()!,
                    [.. Pick(e, idKeys).EnumerateArray().Select(x => x.GetInt32())],
                    [.. Pick(e, embeddingKeys).EnumerateArray().Select(x => x.GetSingle())]));
            }
        }
        else
        {
            JsonElement[] prompts = [.. Pick(root, promptKeys).EnumerateArray()];
            JsonElement[] ids = [.. Pick(root, idKeys).EnumerateArray()];
            JsonElement[] embeddings = [.. Pick(root, embeddingKeys).EnumerateArray()];
            Assert.Equal(prompts.Length, ids.Length);
            Assert.Equal(prompts.Length, embeddings.Length);
            for (int i = 0; i < prompts.Length; i++)
            {
                cases.Add((prompts[i].GetString()!,
                    [.. ids[i].EnumerateArray().Select(x => x.GetInt32())],
                    [.. embeddings[i].EnumerateArray().Select(x => x.GetSingle())]));
            }
        }

        Assert.NotEmpty(cases);
        return cases;
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }

    [Fact]
    public void Token_ids_equal_the_reference()
    {
        var reference = LoadReference();
        (TextEncoder encoder, ClipTokenizer tokenizer) = Load();
        using (encoder)
        {
            foreach ((string prompt, int[] ids, _) in reference)
            {
                var row = new long[tokenizer.ContextLength];
                tokenizer.Tokenize(prompt, row);
                Assert.True(ids.Select(i => (long)i).SequenceEqual(row), $"'{prompt}': expected {string.Join(',', ids)}, got {string.Join(',', row)}");
            }
        }
    }

    [Fact]
    public void Embeddings_match_the_reference()
    {
        var reference = LoadReference();
        (TextEncoder encoder, _) = Load();
        using (encoder)
        {
            string[] prompts = [.. reference.Select(r => r.Prompt)];
            IReadOnlyList<ReadOnlyMemory<float>> embeddings = encoder.Encode(prompts);

            Assert.Equal(1, encoder.InferenceRuns);
            Assert.Equal(reference[0].Embedding.Length, encoder.Dimension);
            for (int i = 0; i < prompts.Length; i++)
            {
                double cosine = Cosine(embeddings[i].Span, reference[i].Embedding);
                Assert.True(cosine >= 0.9999, $"'{prompts[i]}': cosine {cosine:F6}");
            }
        }
    }

    [Fact]
    public void Seen_prompts_cost_no_inference_and_new_ones_one_run()
    {
        var reference = LoadReference();
        (TextEncoder encoder, _) = Load();
        using (encoder)
        {
            string[] prompts = [.. reference.Select(r => r.Prompt).Distinct()];
            string[] firstHalf = prompts[..Math.Max(1, prompts.Length / 2)];

            IReadOnlyList<ReadOnlyMemory<float>> first = encoder.Encode(firstHalf);
            Assert.Equal(1, encoder.InferenceRuns);
            IReadOnlyList<ReadOnlyMemory<float>> again = encoder.Encode(firstHalf);
            Assert.Equal(1, encoder.InferenceRuns);
            for (int i = 0; i < firstHalf.Length; i++)
            {
                Assert.Equal(first[i].ToArray(), again[i].ToArray());
            }

            // The whole set: only the new half is run, in one run.
            IReadOnlyList<ReadOnlyMemory<float>> all = encoder.Encode(prompts);
            Assert.Equal(prompts.Length > firstHalf.Length ? 2 : 1, encoder.InferenceRuns);
            Assert.Equal(prompts.Length, encoder.CachedPrompts);

            // Batched and single-prompt runs agree.
            encoder.ClearCache();
            ReadOnlyMemory<float> single = encoder.Encode(prompts[^1]);
            Assert.True(Cosine(single.Span, all[^1].Span) >= 0.99999);
        }
    }
}
