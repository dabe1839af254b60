namespace OpenVocab.Detection;

/// <summary>
/// One class a user asks for: the label reported in results, the text prompts that describe it, and optionally
/// example images of it.
/// </summary>
/// <param name="Label">Label reported in results.</param>
/// <param name="Prompts">Prompts scored for this class (several synonyms may map to one label). When empty, the label
/// itself is the prompt, unless the class has <see cref="Exemplars"/>: then it is given by its images alone.</param>
public sealed record ClassPrompt(string Label, IReadOnlyList<string> Prompts)
{
    private readonly IReadOnlyList<ImageExemplar> _exemplars = [];

    /// <summary>A class described by its own label.</summary>
    public ClassPrompt(string label) : this(label, [label]) { }

    /// <summary>
    /// Example images of the class (crops of the object work best). Each goes through the pack's CLIP image encoder and
    /// is L2-normalised; several are averaged and normalised again. With text prompts as well, each prompt's vector is
    /// the normalised mean of its text embedding and that image mean (the two modalities weigh the same, however many
    /// images there are). Needs a pack with an image encoder. Empty by default.
    /// </summary>
    /// <exception cref="ArgumentException">A null exemplar.</exception>
    public IReadOnlyList<ImageExemplar> Exemplars
    {
        get => _exemplars;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            for (var i = 0; i < value.Count; i++)
            {
                if (value[i] is null)
                {
                    throw new ArgumentException($"Exemplar {i} of class '{Label}' is null.", nameof(Exemplars));
                }
            }

            // A private copy: the prompt stays immutable even if the caller's list changes later.
            _exemplars = [.. value];
        }
    }

    /// <summary>A class given by example images only (no text).</summary>
    /// <param name="label">Label reported in results.</param>
    /// <param name="exemplars">At least one example image.</param>
    /// <exception cref="ArgumentException">No exemplars, or a null one.</exception>
    public static ClassPrompt FromExemplars(string label, params IReadOnlyList<ImageExemplar> exemplars)
    {
        ArgumentNullException.ThrowIfNull(exemplars);
        if (exemplars.Count == 0)
        {
            throw new ArgumentException($"Class '{label}' is to be given by example images, but none were given.", nameof(exemplars));
        }

        return new ClassPrompt(label, []) { Exemplars = exemplars };
    }
}
