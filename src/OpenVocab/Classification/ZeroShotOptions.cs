namespace OpenVocab.Classification;

/// <summary>How labels become text vectors and how many predictions come back. Immutable; validated on construction.</summary>
public sealed record ZeroShotOptions
{
    private readonly IReadOnlyList<string> _templates = [PromptTemplates.Default];
    private readonly int? _topK;

    /// <summary>Defaults: the single template <c>"a photo of a {}."</c>, all labels returned.</summary>
    public static ZeroShotOptions Default { get; } = new();

    /// <summary>An ensemble over the 80 ImageNet templates of the CLIP paper (<see cref="PromptTemplates.ImageNet80"/>), all labels returned.</summary>
    public static ZeroShotOptions ImageNetEnsemble { get; } = new() { Templates = PromptTemplates.ImageNet80 };

    /// <summary>
    /// Templates, each holding <c>{}</c>. With one, a label's vector is the text embedding of its prompt. With several
    /// (an ensemble, as in the CLIP paper), each prompt's L2-normalised embedding is averaged and the mean
    /// L2-normalised again. Default: <c>["a photo of a {}."]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Empty, or a template is blank, lacks <c>{}</c> or is repeated.</exception>
    public IReadOnlyList<string> Templates
    {
        get => _templates;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Count == 0)
            {
                throw new ArgumentException("At least one prompt template is needed.", nameof(Templates));
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string t in value)
            {
                PromptTemplates.Validate(t, nameof(Templates));
                if (!seen.Add(t))
                {
                    throw new ArgumentException($"Prompt template \"{t}\" is given twice; an ensemble averages distinct templates.", nameof(Templates));
                }
            }

            _templates = [.. value];
        }
    }

    /// <summary>How many predictions to return per image, best first; null (default) for all labels.</summary>
    public int? TopK
    {
        get => _topK;
        init => _topK = value is null or >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(TopK), value, "Top-k must be at least 1 (or null for all labels).");
    }
}

/// <summary>A label to classify into, with the phrases that describe it.</summary>
/// <remarks>
/// With several synonyms, each synonym is turned into a vector through the templates (ensembled when there are
/// several), the synonym vectors are averaged and the mean L2-normalised: the label is the direction between its
/// phrasings, and a synonym's score never counts separately.
/// </remarks>
public sealed record ZeroShotLabel
{
    /// <summary>A label described by its name alone.</summary>
    public ZeroShotLabel(string name)
        : this(name, [name])
    {
    }

    /// <summary>A label with one or more phrasings that go into the templates.</summary>
    /// <param name="name">The name predictions report.</param>
    /// <param name="synonyms">Phrases for the templates; at least one, none blank.</param>
    public ZeroShotLabel(string name, IReadOnlyList<string> synonyms)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(synonyms);
        if (synonyms.Count == 0 || synonyms.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException($"Label '{name}' needs at least one synonym and none may be blank.", nameof(synonyms));
        }

        Name = name;
        Synonyms = [.. synonyms];
    }

    /// <summary>The name predictions report.</summary>
    public string Name { get; }

    /// <summary>The phrases put into the templates.</summary>
    public IReadOnlyList<string> Synonyms { get; }

    /// <summary>A label from its name.</summary>
    public static implicit operator ZeroShotLabel(string name) => new(name);

    /// <summary>A label from its name (same as the implicit conversion).</summary>
    public static ZeroShotLabel FromString(string name) => new(name);
}

/// <summary>One label's score for an image.</summary>
/// <param name="Label">The label name.</param>
/// <param name="Index">The label's position in the label set.</param>
/// <param name="Score">Softmax probability over the label set (0..1; all labels sum to 1).</param>
/// <param name="Similarity">Cosine similarity between the image and the label vector.</param>
public readonly record struct ZeroShotPrediction(string Label, int Index, float Score, float Similarity);

/// <summary>The classification of one image.</summary>
/// <param name="Predictions">Best first; all labels, or the top k. A new list, the caller's.</param>
/// <param name="Embedding">The image's L2-normalised embedding (the caller's).</param>
public sealed record ZeroShotResult(IReadOnlyList<ZeroShotPrediction> Predictions, float[] Embedding)
{
    /// <summary>The best prediction.</summary>
    public ZeroShotPrediction Top => Predictions[0];
}
