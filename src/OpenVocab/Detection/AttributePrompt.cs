using OpenVocab.Classification;

namespace OpenVocab.Detection;

/// <summary>
/// Attribute labels for one class ("car: red car, blue car, green car"): each kept box of <paramref name="ClassLabel"/>
/// is classified zero-shot against <paramref name="Labels"/> with CLIP, and the detection carries the result
/// (<see cref="DetectedObject.Attribute"/>). Immutable.
/// </summary>
/// <param name="ClassLabel">The class whose boxes are classified; must be a label of the class set.</param>
/// <param name="Labels">At least two distinct labels (a softmax over one label is always 1); each goes through
/// <see cref="Templates"/> like a zero-shot label.</param>
public sealed record AttributePrompt(string ClassLabel, IReadOnlyList<string> Labels)
{
    private readonly string _classLabel = CheckClass(ClassLabel);
    private readonly IReadOnlyList<string> _labels = CheckLabels(ClassLabel, Labels);
    private readonly int _topK = 3;
    private readonly ZeroShotOptions _templates = ZeroShotOptions.Default;

    /// <summary>The class whose boxes are classified (trimmed).</summary>
    public string ClassLabel
    {
        get => _classLabel;
        init => _classLabel = CheckClass(value);
    }

    /// <summary>The attribute labels (trimmed, distinct).</summary>
    public IReadOnlyList<string> Labels
    {
        get => _labels;
        init => _labels = CheckLabels(_classLabel, value);
    }

    /// <summary>How many of the best attribute labels a detection keeps in <see cref="AttributeResult.TopK"/>; at least 1, default 3.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int TopK
    {
        get => _topK;
        init => _topK = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(TopK), value, "TopK must be at least 1.");
    }

    /// <summary>How labels become text vectors (templates); <see cref="ZeroShotOptions.Default"/> ("a photo of a {}.") by default.</summary>
    public ZeroShotOptions Templates
    {
        get => _templates;
        init => _templates = value ?? throw new ArgumentNullException(nameof(Templates));
    }

    /// <summary>
    /// Parses the command-line form <c>"CLASS: LABEL, LABEL, ..."</c>, e.g. <c>"car: red car, blue car, green car"</c>.
    /// </summary>
    /// <exception cref="ArgumentException">No colon, a blank class, or fewer than two labels.</exception>
    public static AttributePrompt Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            throw new ArgumentException($"Attributes '{text}' have no class: expected \"CLASS: LABEL, LABEL, ...\", e.g. \"car: red car, blue car\".", nameof(text));
        }

        var labels = text[(colon + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return new AttributePrompt(text[..colon], labels);
    }

    private static string CheckClass(string classLabel)
    {
        if (string.IsNullOrWhiteSpace(classLabel))
        {
            throw new ArgumentException("Attributes need the class whose boxes they classify: expected \"CLASS: LABEL, LABEL, ...\".", nameof(classLabel));
        }

        return classLabel.Trim();
    }

    private static string[] CheckLabels(string classLabel, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count < 2)
        {
            throw new ArgumentException(
                $"Attributes of class '{classLabel?.Trim()}' have {labels.Count} label{(labels.Count == 1 ? "" : "s")}; at least two are needed to choose between (a softmax over one label is always 1).",
                nameof(labels));
        }

        var result = new string[labels.Count];
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < labels.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(labels[i]))
            {
                throw new ArgumentException($"Attribute label {i} of class '{classLabel?.Trim()}' is blank.", nameof(labels));
            }

            result[i] = labels[i].Trim();
            if (!seen.Add(result[i]))
            {
                throw new ArgumentException($"Attribute label '{result[i]}' of class '{classLabel?.Trim()}' is given twice.", nameof(labels));
            }
        }

        return result;
    }
}
