using System.IO.Compression;
using System.Text;
using OpenVocab.Text;

namespace OpenVocab.Tests.Text;

/// <summary>Pure tokenizer tests: a hand-made vocabulary, cleaning, pre-tokenisation and errors.</summary>
public sealed class ClipTokenizerTests : IDisposable
{
    // Byte symbols: '!'..'~' are ids 0..93 (id = c - 33), with </w> 256 + (c - 33). Merges follow from 512.
    private const string TinyMerges = "#version: 0.2\nl o\nlo w</w>\ne r</w>\nlo w\n";
    private const int Lo = 512, LowEnd = 513, ErEnd = 514, Low = 515, Sot = 516, Eot = 517;

    private readonly string _dir = Directory.CreateTempSubdirectory("openvocab-tok-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    private string WriteBytes(string name, byte[] content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static int Sym(char c) => c - 33;

    private static int SymEnd(char c) => 256 + (c - 33);

    [Fact]
    public void Tiny_vocabulary_applies_merges_by_rank()
    {
        ClipTokenizer tokenizer = ClipTokenizer.FromBpeFile(Write("tiny.txt", TinyMerges), contextLength: 8);

        Assert.Equal(Sot, tokenizer.StartOfTextId);
        Assert.Equal(Eot, tokenizer.EndOfTextId);
        Assert.Equal(518, tokenizer.VocabularySize);

        // l o w</w> -> lo w</w> -> low</w>
        Assert.Equal([Sot, LowEnd, Eot], tokenizer.Tokenize("low").Ids);

        // l o w e r</w>: (l,o) rank 0, then (e,r</w>) rank 2 before (lo,w) rank 3.
        Assert.Equal([Sot, Low, ErEnd, Eot], tokenizer.Tokenize("LOWER").Ids);

        // No merge applies to "l</w>" after "lo".
        Assert.Equal([Sot, Lo, SymEnd('l'), Eot], tokenizer.Tokenize("lol").Ids);

        // Letters, punctuation and digits are separate words; digits one by one.
        Assert.Equal([Sot, SymEnd('a'), SymEnd('-'), SymEnd('b'), SymEnd('1'), SymEnd('2'), Eot], tokenizer.Tokenize("a-b12").Ids);

        // Two-byte UTF-8: 0xC3 0xA9 are printable Latin-1 symbols at 94 + 12 + (0xC3 - 0xAE) and 94 + (0xA9 - 0xA1).
        Assert.Equal([Sot, 127, 256 + 102, Eot], tokenizer.Tokenize("é").Ids);

        // A control byte maps to the extra symbols: 0x7F is non-printable byte #33 (after 0..32) -> U+0121, id 188 + 33.
        Assert.Equal([Sot, SymEnd('x'), 256 + 188 + 33, Eot], tokenizer.Tokenize("x\u007F").Ids);
    }

    [Fact]
    public void Tiny_vocabulary_truncates_and_pads()
    {
        ClipTokenizer tokenizer = ClipTokenizer.FromBpeFile(Write("tiny.txt", TinyMerges), contextLength: 4);
        var row = new long[4];

        ClipTokenizationInfo info = tokenizer.Tokenize("low low low", row);

        Assert.Equal([Sot, LowEnd, LowEnd, Eot], row);
        Assert.True(info.Truncated);
        Assert.Equal(4, info.Length);
        Assert.Equal(5, info.TokenCount);

        info = tokenizer.Tokenize("low", row);
        Assert.Equal([Sot, LowEnd, Eot, 0], row);
        Assert.False(info.Truncated);
        Assert.Equal(3, info.Length);
    }

    [Fact]
    public void Gzip_and_plain_tiny_files_agree()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(TinyMerges));
        }

        ClipTokenizer plain = ClipTokenizer.FromBpeFile(Write("tiny.txt", TinyMerges));
        ClipTokenizer gz = ClipTokenizer.FromBpeFile(WriteBytes("tiny.txt.gz", buffer.ToArray()));

        Assert.Equal(plain.Tokenize("lower lol").Ids, gz.Tokenize("lower lol").Ids);
        Assert.Equal([Sot, Low, ErEnd, Lo, SymEnd('l'), Eot], gz.Tokenize("lower lol").Ids);
    }

    [Fact]
    public void Missing_file_names_the_file()
    {
        string path = Path.Combine(_dir, "nope.txt.gz");
        var ex = Assert.Throws<ModelLoadException>(() => ClipTokenizer.FromBpeFile(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not found", ex.Message, StringComparison.Ordinal);
        Assert.Equal(path, ex.FilePath);
    }

    [Fact]
    public void Empty_file_is_rejected()
    {
        var ex = Assert.Throws<ModelLoadException>(() => ClipTokenizer.FromBpeFile(Write("empty.txt", string.Empty)));
        Assert.Contains("empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_only_file_is_rejected()
    {
        var ex = Assert.Throws<ModelLoadException>(() => ClipTokenizer.FromBpeFile(Write("header.txt", "#version: 0.2\n")));
        Assert.Contains("holds none", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binary_garbage_is_rejected()
    {
        byte[] garbage = [.. Enumerable.Range(0, 4096).Select(i => (byte)((i * 7919) % 251))];
        var ex = Assert.Throws<ModelLoadException>(() => ClipTokenizer.FromBpeFile(WriteBytes("garbage.bin", garbage)));
        Assert.Contains("garbage.bin", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_gzip_is_rejected()
    {
        byte[] bytes = [0x1F, 0x8B, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        var ex = Assert.Throws<ModelLoadException>(() => ClipTokenizer.FromBpeFile(WriteBytes("bad.gz", bytes)));
        Assert.Contains("corrupt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_that_is_not_merges_is_rejected()
    {
        var ex = Assert.Throws<ModelLoadException>(() => ClipTokenizer.FromBpeFile(Write("prose.txt", "header\nthis is not a merge file\n")));
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_of_unknown_symbols_is_rejected()
    {
        // "xyz" was never produced by an earlier merge.
        var ex = Assert.Throws<ModelLoadException>(() => ClipTokenizer.FromBpeFile(Write("unknown.txt", "#version: 0.2\nxyz w\n")));
        Assert.Contains("unknown.txt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hugging_face_errors_name_the_file()
    {
        string merges = Write("merges.txt", "#version: 0.2\nl o\n");
        string badJson = Write("vocab.json", "{ not json");
        var ex = Assert.Throws<ModelLoadException>(() => ClipTokenizer.FromHuggingFace(badJson, merges));
        Assert.Contains("vocab.json", ex.Message, StringComparison.Ordinal);

        string noSpecials = Write("vocab2.json", "{\"a\": 0, \"b\": 1}");
        ex = Assert.Throws<ModelLoadException>(() => ClipTokenizer.FromHuggingFace(noSpecials, merges));
        Assert.Contains("<|startoftext|>", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<ModelLoadException>(() => ClipTokenizer.FromHuggingFace(noSpecials, Path.Combine(_dir, "missing.txt")));
        Assert.Contains("missing.txt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Argument_errors()
    {
        string path = Write("tiny.txt", TinyMerges);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClipTokenizer.FromBpeFile(path, contextLength: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClipTokenizer.FromBpeFile(path, contextLength: 0));
        Assert.ThrowsAny<ArgumentException>(() => ClipTokenizer.FromBpeFile(null!));
        Assert.ThrowsAny<ArgumentException>(() => ClipTokenizer.FromBpeFile(" "));

        ClipTokenizer tokenizer = ClipTokenizer.FromBpeFile(path, contextLength: 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.WithContextLength(1));
        Assert.Throws<ArgumentNullException>(() => tokenizer.Tokenize(null!));
        var ex = Assert.Throws<ArgumentException>(() => tokenizer.Tokenize("low", new long[7]));
        Assert.Contains("8", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => tokenizer.TokenizeBatch(["a", "b"], new long[15]));
        ex = Assert.Throws<ArgumentException>(() => tokenizer.TokenizeBatch(["a", null!], new long[16]));
        Assert.Contains("texts[1]", ex.Message, StringComparison.Ordinal);
    }

    // Expected values from Python: html.unescape twice, strip, re.sub(r'\s+', ' '), strip, lower (after NFC).
    [Theory]
    [InlineData("&amp;lt;b&amp;gt;", "<b>")]
    [InlineData("&ampfoo &amp", "&foo &")]
    [InlineData("&#x41;&#66;&#X43", "abc")]
    [InlineData("&#128;&#x9d;&#0;&#1;&#13;x", "\u20ac\u009d\ufffd x")]
    [InlineData("&#xD800;&#99999999999;", "\ufffd\ufffd")]
    [InlineData("&notit; &notin; &lang;&rang;", "\u00acit; \u2209 \u27e8\u27e9")]
    [InlineData("&AMP;&COPY &copy;", "&\u00a9 \u00a9")]
    [InlineData("&apos;&apos", "'&apos")]
    [InlineData("&nbsp;a\u00a0b\u001cc\u3000d", "a b c d")]
    [InlineData("&#;&#x;&;& amp;", "&#;&#x;&;& amp;")]
    [InlineData("  \t\nX \u001f ", "x")]
    [InlineData("\u039f\u0394\u039f\u03a3 \u03a3\u0391 \u03a3", "\u03bf\u03b4\u03bf\u03c2 \u03c3\u03b1 \u03c3")]
    [InlineData("\u0130stanbul", "i\u0307stanbul")]
    [InlineData("\u2161\u03a3\u6587", "\u2171\u03c2\u6587")]
    [InlineData("\u00aa\u03a3", "\u00aa\u03c2")]
    [InlineData("A\u03a3\u055f", "a\u03c2\u055f")]
    [InlineData("\u24b6\u03a3 \u2160\u03a3\u2161", "\u24d0\u03c2 \u2170\u03c3\u2171")]
    [InlineData("\u00c5 \ufb01", "\u00e5 \ufb01")]
    [InlineData("e\u0301", "\u00e9")]
    [InlineData("&eacute;&Eacuteb&frac12;&frac12x", "\u00e9\u00e9b\u00bd\u00bdx")]
    [InlineData("&unknownentity; &le; &hellip; &euro;", "&unknownentity; \u2264 \u2026 \u20ac")]
    public void Cleaning_matches_python(string input, string expected)
    {
        Assert.Equal(expected, ClipTextCleaner.Clean(input));
    }

    // Expected words from Python's regex module with re.IGNORECASE.
    [Theory]
    [InlineData("it'\u017f", "it|'\u017f")]
    [InlineData("<|\u017ftartoftext|>", "<|\u017ftartoftext|>")]
    [InlineData("a\u0345b", "a|b")]
    [InlineData("\u24d0\u24b61", "\u24d0\u24b6|1")]
    [InlineData("\u2160\u2170", "\u2160|\u2170")]
    [InlineData("\U0001d400\U0001d401!\U00020000!\U0001d7cf\U0001d7d0", "\U0001d400\U0001d401|!|\U00020000|!|\U0001d7cf|\U0001d7d0")]
    [InlineData("!!'s x's don't", "!!'|s|x|'s|don|'t")]
    [InlineData("'<|endoftext|>", "'<||endoftext||>")]
    [InlineData("a<|endoftext|>b", "a|<|endoftext|>|b")]
    [InlineData("3.14", "3|.|1|4")]
    public void Pre_tokenisation_matches_python(string cleaned, string expected)
    {
        var ranges = new List<Range>();
        ClipPreTokenizer.Split(cleaned, ranges);
        Assert.Equal(expected, string.Join('|', ranges.Select(r => cleaned[r])));
    }
}
