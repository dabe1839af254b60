using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using OpenVocab.Inference;

namespace OpenVocab.Text;

/// <summary>
/// CLIP's tokenizer, id for id the same as OpenAI's <c>simple_tokenizer</c>: text cleaning (NFC, HTML unescaping,
/// whitespace collapsing, lower-casing), CLIP's pre-tokenisation pattern, byte-level symbols and byte-pair merges
/// with the <c>&lt;/w&gt;</c> end-of-word suffix, then start/end-of-text ids and truncation to the context length.
/// </summary>
/// <remarks>
/// The merge step itself is <see cref="BpeTokenizer"/> from Microsoft.ML.Tokenizers; the rest is CLIP's own and
/// lives here. Instances are immutable and thread-safe; the per-word cache is concurrent and bounded (it is
/// cleared when full).
/// <para>
/// Letter/number classes and case mappings come from .NET's Unicode tables, the reference's from its Python's:
/// fuzzed against CPython 3.11 (Unicode 14) on every code point assigned in Unicode 14, ids agree for all but
/// U+1171E (recategorised since); characters
/// assigned later may be split differently by an older reference.
/// </para>
/// </remarks>
public sealed partial class ClipTokenizer
{
    /// <summary>The context length of every released CLIP model.</summary>
    public const int DefaultContextLength = 77;

    /// <summary>How many merge lines the reference reads from its vocabulary file (49152 - 256 - 2).</summary>
    internal const int ReferenceMergeCount = 49152 - 256 - 2;

    private const string EndOfWordSuffix = "</w>";
    private const int WordCacheCapacity = 16384;
    private const int MaxCachedWordLength = 64;

    private readonly BpeTokenizer _bpe;
    private readonly ConcurrentDictionary<string, int[]> _wordCache;

    private ClipTokenizer(BpeTokenizer bpe, ConcurrentDictionary<string, int[]> wordCache, int startOfTextId, int endOfTextId, int vocabularySize, int contextLength)
    {
        _bpe = bpe;
        _wordCache = wordCache;
        StartOfTextId = startOfTextId;
        EndOfTextId = endOfTextId;
        VocabularySize = vocabularySize;
        ContextLength = contextLength;
    }

    /// <summary>Ids per text, padding included: every tokenisation fits in this many ids.</summary>
    public int ContextLength { get; }

    /// <summary>The id of <c>&lt;|startoftext|&gt;</c> (49406 in the stock vocabulary).</summary>
    public int StartOfTextId { get; }

    /// <summary>The id of <c>&lt;|endoftext|&gt;</c> (49407 in the stock vocabulary).</summary>
    public int EndOfTextId { get; }

    /// <summary>One more than the largest id (49408 in the stock vocabulary).</summary>
    public int VocabularySize { get; }

    /// <summary>
    /// Loads OpenAI's vocabulary format (<c>bpe_simple_vocab_16e6.txt.gz</c>): gzip-compressed or plain UTF-8 text,
    /// told apart by the gzip magic bytes. The first line is a header (<c>#version: ...</c>), skipped unread; then one merge per line,
    /// two symbols separated by a space; at most 48894 merges are read, as the reference does. The vocabulary is
    /// built the reference's way: 256 byte symbols, the same with <c>&lt;/w&gt;</c>, one token per merge, then
    /// <c>&lt;|startoftext|&gt;</c> and <c>&lt;|endoftext|&gt;</c>.
    /// </summary>
    /// <param name="path">The vocabulary file.</param>
    /// <param name="contextLength">Ids per text, at least 2.</param>
    /// <exception cref="ModelLoadException">The file is missing, unreadable or not in this format.</exception>
    public static ClipTokenizer FromBpeFile(string path, int contextLength = DefaultContextLength)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        CheckContextLength(contextLength);

        string text = ReadText(path, "an OpenAI CLIP BPE vocabulary (bpe_simple_vocab_16e6.txt.gz format, gzip or plain text)", detectGzip: true);
        // The first line is a header and skipped unread, as the reference does (the stock file's reads
        // '"bpe_simple_vocab_16e6.txt#version: 0.2').
        string[] lines = text.Split('\n');
        List<string> merges = ReadMerges(path, lines, 1);
        var vocab = new Dictionary<string, int>(512 + merges.Count + 2, StringComparer.Ordinal);
        int next = 0;
        foreach (char c in ClipByteEncoder.VocabularyOrder)
        {
            vocab[c.ToString()] = next++;
        }

        foreach (char c in ClipByteEncoder.VocabularyOrder)
        {
            vocab[c + EndOfWordSuffix] = next++;
        }

        foreach (string merge in merges)
        {
            // The reference builds its dictionary from a list, so a repeated token keeps its last id.
            vocab[merge.Replace(" ", string.Empty, StringComparison.Ordinal)] = next++;
        }

        vocab[ClipPreTokenizer.StartOfText] = next++;
        vocab[ClipPreTokenizer.EndOfText] = next;
        return Create(path, vocab, merges, contextLength);
    }

    /// <summary>
    /// Loads the Hugging Face <c>CLIPTokenizer</c> files: <c>vocab.json</c> (token to id) and <c>merges.txt</c>
    /// (a <c>#version</c> header, then one merge per line). For the stock CLIP vocabulary this gives the same ids
    /// as <see cref="FromBpeFile(string, int)"/>.
    /// </summary>
    /// <param name="vocabJsonPath">The <c>vocab.json</c> file.</param>
    /// <param name="mergesTxtPath">The <c>merges.txt</c> file.</param>
    /// <param name="contextLength">Ids per text, at least 2.</param>
    /// <exception cref="ModelLoadException">A file is missing, unreadable or not in this format.</exception>
    public static ClipTokenizer FromHuggingFace(string vocabJsonPath, string mergesTxtPath, int contextLength = DefaultContextLength)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(vocabJsonPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(mergesTxtPath);
        CheckContextLength(contextLength);

        string json = ReadText(vocabJsonPath, "a Hugging Face CLIP vocab.json (a JSON object of token to id)", detectGzip: false);
        Dictionary<string, int>? vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(json);
        }
        catch (JsonException ex)
        {
            throw new ModelLoadException(vocabJsonPath, "expected a Hugging Face CLIP vocab.json (a JSON object of token to id): " + ex.Message, ex);
        }

        if (vocab is null || vocab.Count == 0)
        {
            throw new ModelLoadException(vocabJsonPath, "expected a Hugging Face CLIP vocab.json (a JSON object of token to id), but it holds no tokens.", null);
        }

        string mergesText = ReadText(mergesTxtPath, "a Hugging Face CLIP merges.txt", detectGzip: false);
        string[] lines = mergesText.Split('\n');
        int first = lines[0].StartsWith("#version", StringComparison.Ordinal) ? 1 : 0;
        List<string> merges = ReadMerges(mergesTxtPath, lines, first);
        return Create(vocabJsonPath, new Dictionary<string, int>(vocab, StringComparer.Ordinal), merges, contextLength);
    }

    /// <summary>Loads the tokenizer a model pack's text encoder names (Hugging Face tokenizer.json, OpenAI BPE file, or Hugging Face vocab + merges).</summary>
    /// <param name="pack">The pack.</param>
    /// <param name="contextLength">Overrides the pack's context length when given.</param>
    /// <exception cref="ModelLoadException">The pack has no text encoder, or its tokenizer files are missing or invalid.</exception>
    public static ClipTokenizer FromPack(ModelPack pack, int? contextLength = null)
    {
        ArgumentNullException.ThrowIfNull(pack);
        var text = pack.Manifest.TextEncoder
            ?? throw new ModelLoadException($"Model pack '{pack.Directory}' has no text encoder, so no tokenizer: expected a \"textEncoder\" entry.");
        var length = contextLength ?? text.ContextLength;
        return text.Tokenizer switch
        {
            { Json: { } json } => FromTokenizerJson(pack.Resolve(json), length),
            { Bpe: { } bpe } => FromBpeFile(pack.Resolve(bpe), length),
            _ => FromHuggingFace(pack.Resolve(text.Tokenizer.Vocab!), pack.Resolve(text.Tokenizer.Merges!), length),
        };
    }

    /// <summary>
    /// The same tokenizer (sharing vocabulary and caches) with another context length.
    /// </summary>
    /// <param name="contextLength">Ids per text, at least 2.</param>
    /// <returns>A tokenizer that truncates and pads to <paramref name="contextLength"/>.</returns>
    public ClipTokenizer WithContextLength(int contextLength)
    {
        CheckContextLength(contextLength);
        return contextLength == ContextLength
            ? this
            : new ClipTokenizer(_bpe, _wordCache, StartOfTextId, EndOfTextId, VocabularySize, contextLength);
    }

    /// <summary>
    /// Tokenises one text: start-of-text, the tokens, end-of-text, truncated to <see cref="ContextLength"/> with
    /// end-of-text kept last; not padded.
    /// </summary>
    /// <param name="text">The text; may be empty.</param>
    /// <returns>The ids, the untruncated count and whether the text was truncated.</returns>
    public ClipTokenization Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(16);
        int count = EncodeUntruncated(text, ids);
        Truncate(ids);
        return new ClipTokenization([.. ids], count);
    }

    /// <summary>
    /// Tokenises one text into exactly <see cref="ContextLength"/> values of <paramref name="destination"/>,
    /// zero-padded after end-of-text (the layout of an ONNX <c>input_ids</c> row).
    /// </summary>
    /// <param name="text">The text; may be empty.</param>
    /// <param name="destination">At least <see cref="ContextLength"/> values; only the first that many are written.</param>
    /// <returns>How many ids were written before the padding, the untruncated count and whether it was truncated.</returns>
    public ClipTokenizationInfo Tokenize(string text, Span<long> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (destination.Length < ContextLength)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values but one tokenised text needs the context length, {ContextLength}.", nameof(destination));
        }

        var ids = new List<int>(16);
        return Write(text, ids, destination[..ContextLength]);
    }

    /// <summary>
    /// Tokenises a batch into <paramref name="destination"/> as a row-major <c>[B, ContextLength]</c> tensor,
    /// each row zero-padded after its end-of-text.
    /// </summary>
    /// <param name="texts">The texts (B of them); none may be null.</param>
    /// <param name="destination">At least B x <see cref="ContextLength"/> values.</param>
    /// <param name="results">At least B entries; receives each row's result.</param>
    public void TokenizeBatch(IReadOnlyList<string> texts, Span<long> destination, Span<ClipTokenizationInfo> results)
    {
        ArgumentNullException.ThrowIfNull(texts);
        long needed = (long)texts.Count * ContextLength;
        if (destination.Length < needed)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values but {texts.Count} texts need {needed} ({texts.Count} x context length {ContextLength}).", nameof(destination));
        }

        if (results.Length < texts.Count)
        {
            throw new ArgumentException($"The results span holds {results.Length} entries but there are {texts.Count} texts.", nameof(results));
        }

        var ids = new List<int>(16);
        for (int i = 0; i < texts.Count; i++)
        {
            string text = texts[i] ?? throw new ArgumentException($"texts[{i}] is null.", nameof(texts));
            results[i] = Write(text, ids, destination.Slice(i * ContextLength, ContextLength));
        }
    }

    /// <summary>
    /// Tokenises a batch into <paramref name="destination"/> as a row-major <c>[B, ContextLength]</c> tensor,
    /// each row zero-padded after its end-of-text.
    /// </summary>
    /// <param name="texts">The texts (B of them); none may be null.</param>
    /// <param name="destination">At least B x <see cref="ContextLength"/> values.</param>
    /// <returns>Each row's result; a new array the caller owns.</returns>
    public ClipTokenizationInfo[] TokenizeBatch(IReadOnlyList<string> texts, Span<long> destination)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var results = new ClipTokenizationInfo[texts.Count];
        TokenizeBatch(texts, destination, results);
        return results;
    }

    private ClipTokenizationInfo Write(string text, List<int> ids, Span<long> row)
    {
        ids.Clear();
        int count = EncodeUntruncated(text, ids);
        Truncate(ids);
        for (int i = 0; i < ids.Count; i++)
        {
            row[i] = ids[i];
        }

        row[ids.Count..].Clear();
        return new ClipTokenizationInfo(ids.Count, count);
    }

    private void Truncate(List<int> ids)
    {
        if (ids.Count > ContextLength)
        {
            ids.RemoveRange(ContextLength, ids.Count - ContextLength);
            ids[^1] = EndOfTextId;
        }
    }

    private int EncodeUntruncated(string text, List<int> ids)
    {
        string cleaned = ClipTextCleaner.Clean(text);
        ids.Add(StartOfTextId);
        var words = new List<Range>();
        ClipPreTokenizer.Split(cleaned, words);
        foreach (Range range in words)
        {
            ReadOnlySpan<char> word = cleaned.AsSpan(range);
            if (word.SequenceEqual(ClipPreTokenizer.StartOfText))
            {
                ids.Add(StartOfTextId);
            }
            else if (word.SequenceEqual(ClipPreTokenizer.EndOfText))
            {
                ids.Add(EndOfTextId);
            }
            else
            {
                ids.AddRange(EncodeWord(cleaned[range]));
            }
        }

        ids.Add(EndOfTextId);
        return ids.Count;
    }

    private int[] EncodeWord(string word)
    {
        if (_wordCache.TryGetValue(word, out int[]? cached))
        {
            return cached;
        }

        IReadOnlyList<int> ids = _bpe.EncodeToIds(ClipByteEncoder.Encode(word), considerPreTokenization: false, considerNormalization: false);
        int[] result = [.. ids];
        if (word.Length <= MaxCachedWordLength)
        {
            if (_wordCache.Count >= WordCacheCapacity)
            {
                _wordCache.Clear();
            }

            _wordCache.TryAdd(word, result);
        }

        return result;
    }

    private static void CheckContextLength(int contextLength)
    {
        if (contextLength < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength, "The context length must be at least 2 (start- and end-of-text).");
        }
    }

    private static ClipTokenizer Create(string path, Dictionary<string, int> vocab, List<string> merges, int contextLength)
    {
        if (!vocab.TryGetValue(ClipPreTokenizer.StartOfText, out int sot) || !vocab.TryGetValue(ClipPreTokenizer.EndOfText, out int eot))
        {
            throw new ModelLoadException(path, $"expected the vocabulary to hold '{ClipPreTokenizer.StartOfText}' and '{ClipPreTokenizer.EndOfText}', but it does not.", null);
        }

        foreach (char c in ClipByteEncoder.VocabularyOrder)
        {
            if (!vocab.ContainsKey(c.ToString()) || !vocab.ContainsKey(c + EndOfWordSuffix))
            {
                throw new ModelLoadException(path, $"expected a byte-level CLIP vocabulary with all 256 byte symbols (alone and with '{EndOfWordSuffix}'), but 'U+{(int)c:X4}' is missing.", null);
            }
        }

        int maxId = -1;
        foreach (int id in vocab.Values)
        {
            if (id < 0)
            {
                throw new ModelLoadException(path, $"expected non-negative token ids, but found {id}.", null);
            }

            maxId = Math.Max(maxId, id);
        }

        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(new BpeOptions(vocab)
            {
                Merges = DeduplicateMerges(merges),
                EndOfWordSuffix = EndOfWordSuffix,
            });
        }
        catch (InvalidOperationException ex)
        {
            throw new ModelLoadException(path, "expected merges whose symbols and results are all in the vocabulary: " + ex.Message, ex);
        }

        return new ClipTokenizer(bpe, new ConcurrentDictionary<string, int[]>(StringComparer.Ordinal), sot, eot, maxId + 1, contextLength);
    }

    // The reference ranks merges with a dictionary, so a repeated pair keeps its last rank; BpeTokenizer would
    // reject the repeat, so keep only the last occurrence (in its position).
    private static List<string> DeduplicateMerges(List<string> merges)
    {
        var last = new Dictionary<string, int>(merges.Count, StringComparer.Ordinal);
        for (int i = 0; i < merges.Count; i++)
        {
            last[merges[i]] = i;
        }

        if (last.Count == merges.Count)
        {
            return merges;
        }

        var result = new List<string>(last.Count);
        for (int i = 0; i < merges.Count; i++)
        {
            if (last[merges[i]] == i)
            {
                result.Add(merges[i]);
            }
        }

        return result;
    }

    private static List<string> ReadMerges(string path, string[] lines, int first)
    {
        var merges = new List<string>(Math.Min(lines.Length, ReferenceMergeCount));
        for (int i = first; i < lines.Length && merges.Count < ReferenceMergeCount; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
            {
                string shown = line.Length > 60 ? line[..60] + "..." : line;
                throw new ModelLoadException(path, $"line {i + 1}: expected a merge (two symbols separated by one space), but found '{shown}'.", null);
            }

            merges.Add(line);
        }

        if (merges.Count == 0)
        {
            throw new ModelLoadException(path, "expected BPE merges after the header, but the file holds none.", null);
        }

        return merges;
    }

    private static string ReadText(string path, string expected, bool detectGzip)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            string what = ex is FileNotFoundException or DirectoryNotFoundException ? "file not found" : "cannot be read (" + ex.Message + ")";
            throw new ModelLoadException(path, $"{what}; expected {expected}.", ex);
        }

        if (bytes.Length == 0)
        {
            throw new ModelLoadException(path, $"the file is empty; expected {expected}.", null);
        }

        try
        {
            if (detectGzip && bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
            {
                using var input = new MemoryStream(bytes, writable: false);
                using var gzip = new GZipStream(input, CompressionMode.Decompress);
                using var output = new MemoryStream();
                gzip.CopyTo(output);
                bytes = output.ToArray();
            }

            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (Exception ex) when (ex is InvalidDataException or DecoderFallbackException or IOException)
        {
            throw new ModelLoadException(path, $"expected {expected}, but the file is corrupt ({ex.Message}).", ex);
        }
    }
}
