using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;

namespace OpenVocab.Text;

/// <summary>
/// The text cleaning of OpenAI's <c>simple_tokenizer</c> without ftfy: NFC, <c>html.unescape</c> twice, strip,
/// collapse whitespace to one space, strip, then Python's <c>str.lower()</c>.
/// </summary>
/// <remarks>
/// Python semantics are reproduced where .NET differs: Python's whitespace set (<c>str.isspace</c>) includes
/// U+001C..U+001F; <c>html.unescape</c> accepts the legacy entities without a semicolon and maps numeric references
/// the HTML5 way; <c>str.lower()</c> maps U+0130 to two code points and applies the Greek final-sigma rule.
/// Named entities are resolved through <see cref="WebUtility.HtmlDecode(string)"/> (the HTML 4 set plus
/// <c>&amp;apos;</c>, with <c>lang</c>/<c>rang</c> mapped the HTML5 way); the names only HTML5 has (e.g.
/// <c>&amp;NewLine;</c>) are left as they are, and the few of those that begin with a legacy name (e.g.
/// <c>&amp;centerdot;</c>, <c>&amp;copysr;</c>, <c>&amp;gtcc;</c>) decode as that legacy name plus the rest, where
/// Python gives the HTML5 character. Measured against Python's <c>html.unescape</c> on every HTML5 name.
/// </remarks>
internal static class ClipTextCleaner
{
    // HTML5 names that exist without a semicolon and are not HTML 4 Latin-1 names.
    private static readonly HashSet<string> UpperCaseLegacyNames = new(StringComparer.Ordinal) { "AMP", "COPY", "GT", "LT", "QUOT", "REG" };

    // Windows-1252 for numeric references 0x80..0x9F, as HTML5 (and Python's html module) map them.
    private static readonly char[] Windows1252 =
    [
        '\u20AC', '\u0081', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021',
        '\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008D', '\u017D', '\u008F',
        '\u0090', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014',
        '\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\u009D', '\u017E', '\u0178',
    ];

    /// <summary>Cleans <paramref name="text"/> exactly as the reference does before pre-tokenisation.</summary>
    public static string Clean(string text)
    {
        string s = text.Normalize(NormalizationForm.FormC);
        s = HtmlUnescape(HtmlUnescape(s));
        s = CollapseWhitespace(s);
        return PythonLower(s);
    }

    /// <summary>Python's <c>str.isspace()</c> for one UTF-16 unit (all such characters are in the BMP).</summary>
    public static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || (c >= '\u001C' && c <= '\u001F');

    /// <summary><c>re.sub(r'\s+', ' ', s.strip()).strip()</c>.</summary>
    public static string CollapseWhitespace(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool pendingSpace = false;
        foreach (char c in s)
        {
            if (IsPythonSpace(c))
            {
                pendingSpace = sb.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                sb.Append(' ');
                pendingSpace = false;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    /// <summary>Python's <c>html.unescape</c>.</summary>
    public static string HtmlUnescape(string s)
    {
        int amp = s.IndexOf('&', StringComparison.Ordinal);
        if (amp < 0)
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        sb.Append(s, 0, amp);
        int i = amp;
        while (i < s.Length)
        {
            if (s[i] != '&')
            {
                sb.Append(s[i]);
                i++;
                continue;
            }

            int consumed = TryReplaceReference(s, i, sb);
            if (consumed == 0)
            {
                sb.Append('&');
                i++;
            }
            else
            {
                i += consumed;
            }
        }

        return sb.ToString();
    }

    // Matches &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?) at s[start] and appends the replacement.
    // Returns the characters consumed, or 0 when the pattern does not match there.
    private static int TryReplaceReference(string s, int start, StringBuilder sb)
    {
        int i = start + 1;
        if (i >= s.Length)
        {
            return 0;
        }

        if (s[i] == '#')
        {
            return TryReplaceNumeric(s, start, sb);
        }

        int nameStart = i;
        while (i < s.Length && i - nameStart < 32 && !IsNameTerminator(s[i]))
        {
            i++;
        }

        if (i == nameStart)
        {
            return 0;
        }

        string name = s[nameStart..i];
        bool semicolon = i < s.Length && s[i] == ';';
        if (semicolon)
        {
            i++;
            if (TryResolveName(name, out string? value))
            {
                sb.Append(value);
                return i - start;
            }
        }
        else if (TryResolveLegacyName(name, out string? value))
        {
            sb.Append(value);
            return i - start;
        }

        // The longest prefix that is a legacy (semicolon-free) name, as the HTML5 standard says.
        for (int x = name.Length - (semicolon ? 0 : 1); x > 1; x--)
        {
            if (TryResolveLegacyName(name[..x], out string? value))
            {
                sb.Append(value).Append(name, x, name.Length - x);
                if (semicolon)
                {
                    sb.Append(';');
                }

                return i - start;
            }
        }

        return 0;
    }

    private static bool IsNameTerminator(char c) => c is '\t' or '\n' or '\f' or ' ' or '<' or '&' or '#' or ';';

    private static int TryReplaceNumeric(string s, int start, StringBuilder sb)
    {
        int i = start + 2;
        bool hex = i < s.Length && (s[i] == 'x' || s[i] == 'X');
        if (hex)
        {
            i++;
        }

        int digitsStart = i;
        long value = 0;
        bool overflow = false;
        while (i < s.Length && (hex ? char.IsAsciiHexDigit(s[i]) : char.IsAsciiDigit(s[i])))
        {
            if (!overflow)
            {
                char c = s[i];
                int digit = char.IsAsciiDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
                value = (value * (hex ? 16 : 10)) + digit;
                overflow = value > 0x10FFFF;
            }

            i++;
        }

        if (i == digitsStart)
        {
            return 0;
        }

        if (i < s.Length && s[i] == ';')
        {
            i++;
        }

        if (overflow || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        {
            sb.Append('\uFFFD');
        }
        else if (value == 0)
        {
            sb.Append('\uFFFD');
        }
        else if (value == 0x0D)
        {
            sb.Append('\r');
        }
        else if (value >= 0x80 && value <= 0x9F)
        {
            sb.Append(Windows1252[value - 0x80]);
        }
        else if (IsInvalidCodePoint((int)value))
        {
            // Python drops these.
        }
        else
        {
            sb.Append(char.ConvertFromUtf32((int)value));
        }

        return i - start;
    }

    private static bool IsInvalidCodePoint(int cp) =>
        (cp >= 0x1 && cp <= 0x8) || cp == 0xB || (cp >= 0xE && cp <= 0x1F) || (cp >= 0x7F && cp <= 0x9F)
        || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;

    private static bool TryResolveName(string name, out string? value)
    {
        // HTML 4 maps these two to U+2329/U+232A; HTML5 (and Python) to the mathematical angle brackets.
        if (name == "lang")
        {
            value = "\u27E8";
            return true;
        }

        if (name == "rang")
        {
            value = "\u27E9";
            return true;
        }

        if (UpperCaseLegacyNames.Contains(name))
        {
            return TryResolveLegacyName(name, out value);
        }

        string reference = "&" + name + ";";
        string decoded = WebUtility.HtmlDecode(reference);
        if (decoded != reference)
        {
            value = decoded;
            return true;
        }

        value = null;
        return false;
    }

    // The HTML5 names that are recognised without a trailing semicolon: the Latin-1 names of HTML 4, and
    // AMP, COPY, GT, LT, QUOT, REG.
    private static bool TryResolveLegacyName(string name, out string? value)
    {
        if (UpperCaseLegacyNames.Contains(name))
        {
            value = name switch
            {
                "AMP" => "&",
                "COPY" => "\u00A9",
                "GT" => ">",
                "LT" => "<",
                "QUOT" => "\"",
                _ => "\u00AE",
            };
            return true;
        }

        if (name != "apos" && name.Length > 1)
        {
            string reference = "&" + name + ";";
            string decoded = WebUtility.HtmlDecode(reference);
            if (decoded != reference && decoded.Length == 1 && decoded[0] <= '\u00FF')
            {
                value = decoded;
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>Python's <c>str.lower()</c>: full lower-case mapping of U+0130 and the final-sigma rule.</summary>
    public static string PythonLower(string s)
    {
        var sb = new StringBuilder(s.Length);
        int i = 0;
        while (i < s.Length)
        {
            if (Rune.DecodeFromUtf16(s.AsSpan(i), out Rune rune, out int len) != OperationStatus.Done)
            {
                // A lone surrogate: kept as it is (UTF-8 encoding later turns it into U+FFFD).
                sb.Append(s[i]);
                i++;
                continue;
            }

            if (rune.Value == 0x0130)
            {
                sb.Append("i\u0307");
            }
            else if (rune.Value == 0x03A3)
            {
                sb.Append(IsFinalSigma(s, i) ? '\u03C2' : '\u03C3');
            }
            else
            {
                Rune lower = Rune.ToLowerInvariant(rune);
                sb.Append(lower.ToString());
            }

            i += len;
        }

        return sb.ToString();
    }

    private static bool IsFinalSigma(string s, int index)
    {
        int j = index;
        bool casedBefore = false;
        while (j > 0)
        {
            Rune.DecodeLastFromUtf16(s.AsSpan(0, j), out Rune before, out int len);
            j -= Math.Max(len, 1);
            if (IsCaseIgnorable(before))
            {
                continue;
            }

            casedBefore = IsCased(before);
            break;
        }

        if (!casedBefore)
        {
            return false;
        }

        j = index + 1;
        while (j < s.Length)
        {
            Rune.DecodeFromUtf16(s.AsSpan(j), out Rune after, out int len);
            j += Math.Max(len, 1);
            if (IsCaseIgnorable(after))
            {
                continue;
            }

            return !IsCased(after);
        }

        return true;
    }

    // Unicode's Cased: Lu, Ll, Lt plus Other_Lowercase/Other_Uppercase; the latter's members that are not
    // case-ignorable (which is checked first) are these (measured against CPython 3.11's str.lower()).
    private static bool IsCased(Rune r) =>
        Rune.GetUnicodeCategory(r) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
        || r.Value is 0x00AA or 0x00BA or (>= 0x2160 and <= 0x217F) or (>= 0x24B6 and <= 0x24E9)
            or (>= 0x1F130 and <= 0x1F149) or (>= 0x1F150 and <= 0x1F169) or (>= 0x1F170 and <= 0x1F189);

    private static bool IsCaseIgnorable(Rune r) =>
        Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || r.Value is '\'' or '.' or ':' or 0x00B7 or 0x0387 or 0x055F or 0x05F4 or 0x2018 or 0x2019 or 0x2024 or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
