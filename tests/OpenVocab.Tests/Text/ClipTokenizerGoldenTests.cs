using System.IO.Compression;
using System.Text;
using System.Text.Json;
using OpenVocab.Text;

namespace OpenVocab.Tests.Text;

/// <summary>The stock vocabulary against the ids of OpenAI's reference tokenizer.</summary>
public sealed class ClipTokenizerGoldenTests
{
    public static TheoryData<int> GoldenIndices() => StockTokenizer.GoldenIndices();

    [Fact]
    public void Stock_vocabulary_has_reference_special_ids_and_size()
    {
        ClipTokenizer tokenizer = StockTokenizer.Instance;
        Assert.Equal(49406, tokenizer.StartOfTextId);
        Assert.Equal(49407, tokenizer.EndOfTextId);
        Assert.Equal(49408, tokenizer.VocabularySize);
        Assert.Equal(77, tokenizer.ContextLength);
    }

    [Fact]
    public void Golden_file_has_enough_cases()
    {
        Assert.True(StockTokenizer.Golden.Count >= 30, $"only {StockTokenizer.Golden.Count} golden cases");
    }

    [Theory]
    [MemberData(nameof(GoldenIndices))]
    public void Golden_ids_match(int index)
    {
        GoldenCase golden = StockTokenizer.Golden[index];
        ClipTokenizer tokenizer = StockTokenizer.Instance.WithContextLength(golden.ContextLength);

        ClipTokenization result = tokenizer.Tokenize(golden.Text);

        Assert.Equal(golden.Ids, result.Ids);
        Assert.Equal(golden.Truncated, result.Truncated);
        if (!golden.Truncated)
        {
            Assert.Equal(golden.Ids.Length, result.TokenCount);
        }
    }

    [Theory]
    [MemberData(nameof(GoldenIndices))]
    public void Golden_ids_match_as_padded_row(int index)
    {
        GoldenCase golden = StockTokenizer.Golden[index];
        ClipTokenizer tokenizer = StockTokenizer.Instance.WithContextLength(golden.ContextLength);
        var row = new long[tokenizer.ContextLength + 3];
        Array.Fill(row, -7L);

        ClipTokenizationInfo info = tokenizer.Tokenize(golden.Text, row);

        var expected = new long[tokenizer.ContextLength + 3];
        for (int i = 0; i < golden.Ids.Length; i++)
        {
            expected[i] = golden.Ids[i];
        }

        // Only ContextLength values are written; the rest of the span is left alone.
        expected[^3] = expected[^2] = expected[^1] = -7L;
        Assert.Equal(expected, row);
        Assert.Equal(golden.Ids.Length, info.Length);
    }

    [Theory]
    [MemberData(nameof(GoldenIndices))]
    public void Golden_ids_truncate_to_short_context_keeping_end_of_text(int index)
    {
        GoldenCase golden = StockTokenizer.Golden[index];
        Assert.False(golden.Truncated && golden.ContextLength == 16, "case already truncated at 16");
        const int context = 16;
        ClipTokenizer tokenizer = StockTokenizer.Instance.WithContextLength(context);

        ClipTokenization result = tokenizer.Tokenize(golden.Text);

        int[] expected = golden.Ids.Length <= context
            ? golden.Ids
            : [.. golden.Ids.Take(context - 1), 49407];
        Assert.Equal(expected, result.Ids);
        Assert.Equal(golden.Ids.Length > context, result.Truncated);
        if (!golden.Truncated)
        {
            Assert.Equal(golden.Ids.Length, result.TokenCount);
        }
    }

    [Fact]
    public void Long_text_truncates_at_77_with_end_of_text_last()
    {
        string text = string.Join(' ', Enumerable.Repeat("a", 100));

        ClipTokenization result = StockTokenizer.Instance.Tokenize(text);

        Assert.True(result.Truncated);
        Assert.Equal(102, result.TokenCount);
        Assert.Equal(77, result.Ids.Count);
        Assert.Equal(49406, result.Ids[0]);
        Assert.All(result.Ids.Skip(1).Take(75), id => Assert.Equal(320, id));
        Assert.Equal(49407, result.Ids[76]);
    }

    [Fact]
    public void Context_length_two_holds_only_start_and_end()
    {
        ClipTokenization result = StockTokenizer.Instance.WithContextLength(2).Tokenize("a photo of a dog");
        Assert.Equal([49406, 49407], result.Ids);
        Assert.True(result.Truncated);
        Assert.Equal(7, result.TokenCount);
    }

    [Fact]
    public void Special_markers_in_text_map_to_their_ids_only_when_exact()
    {
        ClipTokenizer tokenizer = StockTokenizer.Instance;
        Assert.Equal([49406, 49406, 320, 49407, 49407], tokenizer.Tokenize("<|startoftext|>a<|endoftext|>").Ids);
        Assert.Equal([49406, 49406, 320, 49407, 49407], tokenizer.Tokenize("<|STARTOFTEXT|> A <|EndOfText|>").Ids);
    }

    [Fact]
    public void Batch_writes_rows_and_results()
    {
        ClipTokenizer tokenizer = StockTokenizer.Instance;
        IReadOnlyList<GoldenCase> golden = StockTokenizer.Golden;
        string[] texts = [.. golden.Select(g => g.Text)];
        var destination = new long[texts.Length * 77];
        Array.Fill(destination, -1L);

        ClipTokenizationInfo[] infos = tokenizer.TokenizeBatch(texts, destination);

        for (int b = 0; b < texts.Length; b++)
        {
            long[] row = destination.AsSpan(b * 77, 77).ToArray();
            Assert.Equal(golden[b].Ids.Select(i => (long)i), row.Take(golden[b].Ids.Length));
            Assert.All(row.Skip(golden[b].Ids.Length), v => Assert.Equal(0L, v));
            Assert.Equal(golden[b].Ids.Length, infos[b].Length);
        }
    }

    [Fact]
    public void Plain_text_and_hugging_face_files_give_identical_ids()
    {
        string dir = Directory.CreateTempSubdirectory("openvocab-tok-").FullName;
        try
        {
            string[] lines = ReadGzLines(TestPaths.StockVocabulary);
            string plain = Path.Combine(dir, "bpe_simple_vocab_16e6.txt");
            File.WriteAllText(plain, string.Join('\n', lines));

            // Hugging Face layout, written the way its CLIPTokenizer files are: vocab.json with explicit ids
            // (byte symbols, the same with </w>, merged tokens, specials) and merges.txt with a header.
            string[] merges = lines[1..(1 + 48894)];
            var vocab = new Dictionary<string, int>();
            foreach (string symbol in ByteSymbolsInReferenceOrder())
            {
                vocab[symbol] = vocab.Count;
            }

            foreach (string symbol in ByteSymbolsInReferenceOrder())
            {
                vocab[symbol + "</w>"] = vocab.Count;
            }

            foreach (string merge in merges)
            {
                vocab[merge.Replace(" ", string.Empty, StringComparison.Ordinal)] = vocab.Count;
            }

            vocab["<|startoftext|>"] = vocab.Count;
            vocab["<|endoftext|>"] = vocab.Count;
            string vocabJson = Path.Combine(dir, "vocab.json");
            string mergesTxt = Path.Combine(dir, "merges.txt");
            File.WriteAllText(vocabJson, JsonSerializer.Serialize(vocab));
            File.WriteAllText(mergesTxt, "#version: 0.2\n" + string.Join('\n', merges) + "\n");

            ClipTokenizer fromPlain = ClipTokenizer.FromBpeFile(plain);
            ClipTokenizer fromHf = ClipTokenizer.FromHuggingFace(vocabJson, mergesTxt);

            Assert.Equal(49408, vocab.Count);
            foreach (ClipTokenizer tokenizer in new[] { fromPlain, fromHf })
            {
                Assert.Equal(49406, tokenizer.StartOfTextId);
                Assert.Equal(49407, tokenizer.EndOfTextId);
                Assert.Equal(49408, tokenizer.VocabularySize);
                foreach (GoldenCase golden in StockTokenizer.Golden)
                {
                    Assert.Equal(golden.Ids, tokenizer.WithContextLength(golden.ContextLength).Tokenize(golden.Text).Ids);
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Concurrent_tokenisation_gives_the_same_ids()
    {
        ClipTokenizer tokenizer = ClipTokenizer.FromBpeFile(TestPaths.StockVocabulary);
        IReadOnlyList<GoldenCase> golden = StockTokenizer.Golden;
        Parallel.For(0, 2000, i =>
        {
            GoldenCase g = golden[i % golden.Count];
            Assert.Equal(g.Ids, tokenizer.Tokenize(g.Text).Ids);
        });
    }

    internal static string[] ReadGzLines(string path)
    {
        using FileStream file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return reader.ReadToEnd().Split('\n');
    }

    // GPT-2's byte-to-unicode table in its insertion order: printable Latin-1 bytes, then the others as U+0100+n.
    internal static IEnumerable<string> ByteSymbolsInReferenceOrder()
    {
        static bool Printable(int b) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
        var printable = Enumerable.Range(0, 256).Where(Printable).Select(b => ((char)b).ToString());
        var others = Enumerable.Range(0, 256).Where(b => !Printable(b)).Select((_, n) => ((char)(256 + n)).ToString());
        return printable.Concat(others);
    }
}
