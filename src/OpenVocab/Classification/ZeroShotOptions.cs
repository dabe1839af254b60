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
