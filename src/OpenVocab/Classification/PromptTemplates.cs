namespace OpenVocab.Classification;

/// <summary>
/// Prompt templates for zero-shot classification. A template holds <c>{}</c> where the label goes
/// (Python's <c>str.format</c> with one argument, as CLIP's code uses them).
/// </summary>
public static class PromptTemplates
{
    /// <summary>The placeholder a template must hold.</summary>
    public const string Placeholder = "{}";

    /// <summary>CLIP's single default template, <c>"a photo of a {}."</c>.</summary>
    public const string Default = "a photo of a {}.";

    /// <summary>
    /// The 80 ImageNet prompt templates of the CLIP paper (Radford et al., 2021, "Learning Transferable Visual Models
    /// From Natural Language Supervision"), in the order of OpenAI's prompt-engineering notebook. Ensembling over them
    /// (see <see cref="ZeroShotOptions.Templates"/>) raised ImageNet zero-shot accuracy by a few points in the paper.
    /// </summary>
    public static IReadOnlyList<string> ImageNet80 { get; } =
    [
        "a bad photo of a {}.", "a photo of many {}.", "a sculpture of a {}.", "a photo of the hard to see {}.",
        "a low resolution photo of the {}.", "a rendering of a {}.", "graffiti of a {}.", "a bad photo of the {}.",
        "a cropped photo of the {}.", "a tattoo of a {}.", "the embroidered {}.", "a photo of a hard to see {}.",
        "a bright photo of a {}.", "a photo of a clean {}.", "a photo of a dirty {}.", "a dark photo of the {}.",
        "a drawing of a {}.", "a photo of my {}.", "the plastic {}.", "a photo of the cool {}.",
        "a close-up photo of a {}.", "a black and white photo of the {}.", "a painting of the {}.", "a painting of a {}.",
        "a pixelated photo of the {}.", "a sculpture of the {}.", "a bright photo of the {}.", "a cropped photo of a {}.",
        "a plastic {}.", "a photo of the dirty {}.", "a jpeg corrupted photo of a {}.", "a blurry photo of the {}.",
        "a photo of the {}.", "a good photo of the {}.", "a rendering of the {}.", "a {} in a video game.",
        "a photo of one {}.", "a doodle of a {}.", "a close-up photo of the {}.", "a photo of a {}.",
        "the origami {}.", "the {} in a video game.", "a sketch of a {}.", "a doodle of the {}.",
        "a origami {}.", "a low resolution photo of a {}.", "the toy {}.", "a rendition of the {}.",
        "a photo of the clean {}.", "a photo of a large {}.", "a rendition of a {}.", "a photo of a nice {}.",
        "a photo of a weird {}.", "a blurry photo of a {}.", "a cartoon {}.", "art of a {}.",
        "a sketch of the {}.", "a embroidered {}.", "a pixelated photo of a {}.", "itap of the {}.",
        "a jpeg corrupted photo of the {}.", "a good photo of a {}.", "a plushie {}.", "a photo of the nice {}.",
        "a photo of the small {}.", "a photo of the weird {}.", "the cartoon {}.", "art of the {}.",
        "a drawing of the {}.", "a photo of the large {}.", "a black and white photo of a {}.", "the plushie {}.",
        "a dark photo of a {}.", "itap of a {}.", "graffiti of the {}.", "a toy {}.",
        "itap of my {}.", "a photo of a cool {}.", "a photo of a small {}.", "a tattoo of the {}.",
    ];

    /// <summary>Puts <paramref name="label"/> into <paramref name="template"/> (every <c>{}</c>).</summary>
    /// <exception cref="ArgumentException">The template has no <c>{}</c>, or either argument is blank.</exception>
    public static string Apply(string template, string label)
    {
        Validate(template, nameof(template));
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        return template.Replace(Placeholder, label, StringComparison.Ordinal);
    }

    /// <summary>Checks that a template is usable: not blank, and holding <c>{}</c>.</summary>
    /// <exception cref="ArgumentException">It is not.</exception>
    public static void Validate(string template, string? parameterName = null)
    {
        if (string.IsNullOrWhiteSpace(template))
        {
            throw new ArgumentException("A prompt template cannot be blank; expected text holding {} where the label goes, e.g. \"a photo of a {}.\".", parameterName ?? nameof(template));
        }

        if (!template.Contains(Placeholder, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Prompt template \"{template}\" has no {{}} placeholder for the label; expected e.g. \"a photo of a {{}}.\".", parameterName ?? nameof(template));
        }
    }
}
