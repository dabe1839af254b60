namespace OpenVocab.Classification;

/// <summary>
/// A label to classify into, with the phrases (synonyms) that describe it: the classifier's counterpart of the
/// detector's <see cref="Detection.ClassPrompt"/>, with the same <see cref="Label"/> and <see cref="Prompts"/>.
/// </summary>
/// <remarks>
/// With several prompts, each is turned into a vector through the templates (ensembled when there are several), the
/// prompt vectors are averaged and the mean L2-normalised: the label is the direction between its phrasings, and a
/// synonym's score never counts separately. (The detector instead scores each prompt and keeps the best per box,
/// which is why the two stay separate types.)
/// </remarks>
public sealed record ZeroShotLabel
{
    /// <summary>A label described by its own text.</summary>
    public ZeroShotLabel(string label)
        : this(label, [label])
    {
    }

    /// <summary>A label with one or more phrasings that go into the templates.</summary>
    /// <param name="label">The label predictions report.</param>
    /// <param name="prompts">Phrases (synonyms) for the templates; at least one, none blank.</param>
    public ZeroShotLabel(string label, IReadOnlyList<string> prompts)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0 || prompts.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException($"Label '{label}' needs at least one prompt and none may be blank.", nameof(prompts));
        }

        Label = label;
        Prompts = [.. prompts];
    }

    /// <summary>The label predictions report.</summary>
    public string Label { get; }

    /// <summary>The phrases put into the templates.</summary>
    public IReadOnlyList<string> Prompts { get; }

    /// <summary>A label from its text.</summary>
    public static implicit operator ZeroShotLabel(string label) => new(label);

    /// <summary>A label from its text (same as the implicit conversion).</summary>
    public static ZeroShotLabel FromString(string label) => new(label);
}
