using System.Globalization;
using System.Text;
using OpenVocab.Inference;

namespace OpenVocab.Detection;

/// <summary>Reads ultralytics' ONNX metadata, whose <c>names</c> is a Python dict literal such as <c>{0: 'person', 1: "o'clock"}</c>.</summary>
internal static class ClosedSetMetadata
{
    /// <summary>The metadata entry as errors name it, in the place of a tensor name.</summary>
    public const string NamesEntry = "names (metadata)";

    public static string[] ParseNames(string text, string file)
    {
        var names = new SortedDictionary<int, string>();
        var i = 0;
        Skip(text, ref i);
        Expect(text, ref i, '{', file);
        Skip(text, ref i);
        while (i < text.Length && text[i] != '}')
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '-'))
            {
                i++;
            }

            if (!int.TryParse(text.AsSpan(start, i - start), NumberStyles.Integer, CultureInfo.InvariantCulture, out var key) || key < 0)
            {
                throw Bad(file, text, "a class id");
            }

            Skip(text, ref i);
            Expect(text, ref i, ':', file);
            Skip(text, ref i);
            names[key] = ReadQuoted(text, ref i, file);
            Skip(text, ref i);
            if (i < text.Length && text[i] == ',')
            {
                i++;
                Skip(text, ref i);
            }
        }

        Expect(text, ref i, '}', file);
        if (names.Count == 0 || names.Keys.Last() != names.Count - 1)
        {
            throw Bad(file, text, "class ids 0..N-1");
        }

        return [.. names.Values];
    }

    private static string ReadQuoted(string text, ref int i, string file)
    {
        if (i >= text.Length || (text[i] != '\'' && text[i] != '"'))
        {
            throw Bad(file, text, "a quoted class name");
        }

        var quote = text[i++];
        var sb = new StringBuilder();
        while (i < text.Length && text[i] != quote)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                i++;
            }

            sb.Append(text[i++]);
        }

        Expect(text, ref i, quote, file);
        return sb.ToString();
    }

    private static void Skip(string text, ref int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }
    }

    private static void Expect(string text, ref int i, char c, string file)
    {
        if (i >= text.Length || text[i] != c)
        {
            throw Bad(file, text, $"'{c}'");
        }

        i++;
    }

    private static ModelMismatchException Bad(string file, string text, string expected) =>
        GraphContract.Mismatch(file, NamesEntry, $"a class-name dict like {{0: 'person', 1: 'car'}} ({expected})",
            text.Length > 80 ? text[..80] + "..." : text);
}
