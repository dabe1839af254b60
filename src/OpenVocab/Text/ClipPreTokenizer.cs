using System.Buffers;
using System.Globalization;
using System.Text;

namespace OpenVocab.Text;

/// <summary>
/// Splits cleaned text into words exactly as OpenAI's pattern does under Python's <c>regex</c> module with
/// <c>re.IGNORECASE</c>:
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>.
/// </summary>
/// <remarks>
/// A hand-written scanner rather than <see cref="System.Text.RegularExpressions.Regex"/>: .NET regular expressions
/// work on UTF-16 units, so a letter or digit outside the BMP (a surrogate pair, category Cs to the engine) would
/// be taken as punctuation, where Python sees one code point. Case-insensitivity of the reference shows in two
/// places, both reproduced: U+017F (long s) case-folds to <c>s</c> (so <c>'ſ</c> and <c>&lt;|ſtartoftext|&gt;</c>
/// match), and U+0345 (combining ypogegrammeni, which folds to a letter) is matched by no alternative and dropped.
/// </remarks>
internal static class ClipPreTokenizer
{
    /// <summary>The start-of-text marker.</summary>
    public const string StartOfText = "<|startoftext|>";

    /// <summary>The end-of-text marker.</summary>
    public const string EndOfText = "<|endoftext|>";

    private static readonly string[] Contractions = ["s", "t", "re", "ve", "m", "ll", "d"];

    private enum CharClass
    {
        Space,
        Letter,
        Number,
        Other,
        Dropped,
    }

    /// <summary>Appends the (start, length) of each word of <paramref name="text"/> to <paramref name="words"/>.</summary>
    public static void Split(string text, List<Range> words)
    {
        int i = 0;
        while (i < text.Length)
        {
            int special = MatchSpecial(text, i);
            if (special > 0)
            {
                words.Add(new Range(i, i + special));
                i += special;
                continue;
            }

            int contraction = MatchContraction(text, i);
            if (contraction > 0)
            {
                words.Add(new Range(i, i + contraction));
                i += contraction;
                continue;
            }

            CharClass cls = Classify(text, i, out int len);
            switch (cls)
            {
                case CharClass.Letter:
                case CharClass.Other:
                    int end = i + len;
                    while (end < text.Length && Classify(text, end, out int next) == cls)
                    {
                        end += next;
                    }

                    words.Add(new Range(i, end));
                    i = end;
                    break;
                case CharClass.Number:
                    words.Add(new Range(i, i + len));
                    i += len;
                    break;
                default:
                    i += len;
                    break;
            }
        }
    }

    private static int MatchSpecial(string text, int i)
    {
        if (text[i] != '<')
        {
            return 0;
        }

        if (MatchesFolded(text, i, StartOfText))
        {
            return StartOfText.Length;
        }

        return MatchesFolded(text, i, EndOfText) ? EndOfText.Length : 0;
    }

    private static int MatchContraction(string text, int i)
    {
        if (text[i] != '\'')
        {
            return 0;
        }

        foreach (string c in Contractions)
        {
            if (MatchesFolded(text, i + 1, c))
            {
                return c.Length + 1;
            }
        }

        return 0;
    }

    // Ordinal match of a lower-case ASCII pattern under simple case folding (the text is already lower-cased,
    // so only the letters that fold to ASCII without being ASCII matter: U+017F to 's', U+212A to 'k').
    private static bool MatchesFolded(string text, int i, string pattern)
    {
        if (i + pattern.Length > text.Length)
        {
            return false;
        }

        for (int k = 0; k < pattern.Length; k++)
        {
            char c = text[i + k];
            char p = pattern[k];
            if (c != p && char.ToLowerInvariant(c) != p && !(p == 's' && c == '\u017F') && !(p == 'k' && c == '\u212A'))
            {
                return false;
            }
        }

        return true;
    }

    private static CharClass Classify(string text, int i, out int length)
    {
        if (Rune.DecodeFromUtf16(text.AsSpan(i), out Rune rune, out length) != OperationStatus.Done)
        {
            length = 1;
            return CharClass.Other;
        }

        if (rune.Value == 0x0345)
        {
            return CharClass.Dropped;
        }

        if (rune.IsBmp && ClipTextCleaner.IsPythonSpace((char)rune.Value))
        {
            return CharClass.Space;
        }

        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharClass.Number,
            _ => CharClass.Other,
        };
    }
}
