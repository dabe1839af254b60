namespace OpenVocab.Text;

/// <summary>
/// The reversible byte-to-character map of GPT-2/CLIP (<c>bytes_to_unicode</c>): printable Latin-1 bytes map to
/// themselves, the other 68 bytes to U+0100 and up, so that every UTF-8 byte is one visible vocabulary symbol.
/// </summary>
internal static class ClipByteEncoder
{
    /// <summary>The character for each byte value.</summary>
    public static readonly char[] ByteToChar = BuildTable();

    /// <summary>The 256 byte symbols in the reference's vocabulary order (printable bytes first, then the rest).</summary>
    public static readonly char[] VocabularyOrder = BuildOrder();

    /// <summary>Encodes <paramref name="word"/> as UTF-8 and maps each byte to its symbol.</summary>
    public static string Encode(ReadOnlySpan<char> word)
    {
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(word.Length);
        Span<byte> bytes = max <= 512 ? stackalloc byte[max] : new byte[max];
        int n = System.Text.Encoding.UTF8.GetBytes(word, bytes);
        return string.Create(n, bytes[..n].ToArray(), static (dest, src) =>
        {
            for (int i = 0; i < src.Length; i++)
            {
                dest[i] = ByteToChar[src[i]];
            }
        });
    }

    private static bool IsPrintable(int b) => (b >= '!' && b <= '~') || (b >= '\u00A1' && b <= '\u00AC') || (b >= '\u00AE' && b <= '\u00FF');

    private static char[] BuildTable()
    {
        var table = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            table[b] = IsPrintable(b) ? (char)b : (char)(256 + n++);
        }

        return table;
    }

    private static char[] BuildOrder()
    {
        char[] table = BuildTable();
        var order = new List<char>(256);
        for (int b = 0; b < 256; b++)
        {
            if (IsPrintable(b))
            {
                order.Add(table[b]);
            }
        }

        for (int b = 0; b < 256; b++)
        {
            if (!IsPrintable(b))
            {
                order.Add(table[b]);
            }
        }

        return [.. order];
    }
}
