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
    private static string ShapesDirectory => TestPaths.ShapesPack;

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

    // reference/text_embeds.json: { "contextLength": 16, "embedDim": D, "prompts": [ { "text", "ids", "embedding" } ] }
    private static List<(string Prompt, int[] Ids, float[] Embedding)> LoadReference()
    {
        string path = Path.Combine(ShapesDirectory, "reference", "text_embeds.json");
        Assert.True(File.Exists(path), $"{path} is missing.");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement root = doc.RootElement;
        int contextLength = root.GetProperty("contextLength").GetInt32();
        int dimension = root.GetProperty("embedDim").GetInt32();
        var cases = new List<(string, int[], float[])>();
        foreach (JsonElement e in root.GetProperty("prompts").EnumerateArray())
        {
            int[] ids = [.. e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())];
            float[] embedding = [.. e.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle())];
            Assert.Equal(contextLength, ids.Length);
            Assert.Equal(dimension, embedding.Length);
            cases.Add((e.GetProperty("text").GetString()!, ids, embedding));
        }

        Assert.NotEmpty(cases);
        return cases;
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
            // Blank prompts are rejected by Encode; the reference's empty prompt goes through the uncached path.
            var usable = reference.Where(r => !string.IsNullOrWhiteSpace(r.Prompt)).ToList();
            var blank = reference.Where(r => string.IsNullOrWhiteSpace(r.Prompt)).ToList();
            Assert.True(usable.Count >= 10);
            Assert.Contains(usable, r => r.Ids[^1] != 0);

            IReadOnlyList<ReadOnlyMemory<float>> embeddings = encoder.Encode([.. usable.Select(r => r.Prompt)]);

            Assert.Equal(1, encoder.InferenceRuns);
            Assert.Equal(reference[0].Embedding.Length, encoder.Dimension);
            for (int i = 0; i < usable.Count; i++)
            {
                double cosine = ReferenceData.Cosine(embeddings[i].Span, usable[i].Embedding);
                Assert.True(cosine >= 0.9999, $"'{usable[i].Prompt}': cosine {cosine:F6}");
            }

            if (blank.Count > 0)
            {
                float[][] blankEmbeddings = encoder.EncodeUncached([.. blank.Select(r => r.Prompt)]);
                for (int i = 0; i < blank.Count; i++)
                {
                    double cosine = ReferenceData.Cosine(blankEmbeddings[i], blank[i].Embedding);
                    Assert.True(cosine >= 0.9999, $"'{blank[i].Prompt}': cosine {cosine:F6}");
                }
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
            string[] prompts = [.. reference.Select(r => r.Prompt).Where(p => !string.IsNullOrWhiteSpace(p)).Distinct()];
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
            Assert.True(ReferenceData.Cosine(single.Span, all[^1].Span) >= 0.99999);
        }
    }
}
