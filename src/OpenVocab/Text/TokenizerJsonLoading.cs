using System.Text.Json;

namespace OpenVocab.Text;

public sealed partial class ClipTokenizer
{
    /// <summary>
    /// Loads a Hugging Face <c>tokenizer.json</c> (the <c>tokenizers</c> library's file, as CLIPTokenizerFast saves it):
    /// the vocabulary and merges of its BPE model are read and tokenised the way OpenAI's <c>simple_tokenizer</c>
    /// does, which is what CLIP's normaliser and pre-tokeniser in that file describe. Merges may be written as
    /// <c>"a b"</c> strings or <c>["a", "b"]</c> pairs (newer <c>tokenizers</c> versions).
    /// </summary>
    /// <param name="path">The <c>tokenizer.json</c> file.</param>
    /// <param name="contextLength">Ids per text, at least 2.</param>
    /// <exception cref="ModelLoadException">The file is missing, is not JSON, or its model is not CLIP's byte-level BPE.</exception>
    public static ClipTokenizer FromTokenizerJson(string path, int contextLength = DefaultContextLength)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        CheckContextLength(contextLength);
        const string Expected = "a Hugging Face tokenizer.json whose \"model\" is CLIP's byte-level BPE (type \"BPE\", end_of_word_suffix \"</w>\")";
        string json = ReadText(path, Expected, detectGzip: false);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new ModelLoadException(path, $"expected {Expected}, but it is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("model", out JsonElement model) || model.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException(path, $"expected {Expected}, but it has no \"model\" object.", null);
            }

            string? type = model.TryGetProperty("type", out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type != "BPE")
            {
                throw new ModelLoadException(path, $"expected {Expected}, but model.type is '{type ?? "missing"}'.", null);
            }

            if (model.TryGetProperty("end_of_word_suffix", out JsonElement suffix) && suffix.ValueKind == JsonValueKind.String
                && suffix.GetString() != EndOfWordSuffix)
            {
                throw new ModelLoadException(path, $"expected {Expected}, but model.end_of_word_suffix is '{suffix.GetString()}' (not CLIP's vocabulary).", null);
            }

            if (!model.TryGetProperty("vocab", out JsonElement vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException(path, $"expected {Expected}, but model.vocab is missing or not an object of token to id.", null);
            }

            var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (JsonProperty entry in vocabElement.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id))
                {
                    throw new ModelLoadException(path, $"expected integer ids in model.vocab, but '{entry.Name}' maps to {entry.Value.GetRawText()}.", null);
                }

                vocab[entry.Name] = id;
            }

            if (!model.TryGetProperty("merges", out JsonElement mergesElement) || mergesElement.ValueKind != JsonValueKind.Array)
            {
                throw new ModelLoadException(path, $"expected {Expected}, but model.merges is missing or not an array.", null);
            }

            var merges = new List<string>(mergesElement.GetArrayLength());
            int index = 0;
            foreach (JsonElement merge in mergesElement.EnumerateArray())
            {
                string? pair = merge.ValueKind switch
                {
                    JsonValueKind.String => merge.GetString(),
                    JsonValueKind.Array when merge.GetArrayLength() == 2 && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String
                        => merge[0].GetString() + " " + merge[1].GetString(),
                    _ => null,
                };
                int space = pair?.IndexOf(' ', StringComparison.Ordinal) ?? -1;
                if (pair is null || space <= 0 || space == pair.Length - 1 || pair.IndexOf(' ', space + 1) >= 0)
                {
                    throw new ModelLoadException(path, $"model.merges[{index}]: expected \"a b\" or [\"a\", \"b\"], but found {merge.GetRawText()}.", null);
                }

                // The reference reads at most this many merges from its file; tokenizer.json files hold exactly those.
                if (merges.Count < ReferenceMergeCount)
                {
                    merges.Add(pair);
                }

                index++;
            }

            if (merges.Count == 0)
            {
                throw new ModelLoadException(path, $"expected {Expected}, but model.merges is empty.", null);
            }

            return Create(path, vocab, merges, contextLength);
        }
    }
}
