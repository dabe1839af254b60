namespace OpenVocab.Detection;

/// <summary>
/// Everything a caller asks a detector to look for, in one immutable value: the classes (text, example images or
/// both), and the attributes to classify on kept boxes. Turned into a <see cref="ClassSet"/> by
/// <see cref="Detector.CreateClassSet(PromptSet)"/>, which checks all of it before encoding anything.
/// </summary>
/// <param name="Classes">The classes reported in results; at least one.</param>
public sealed record PromptSet(IReadOnlyList<ClassPrompt> Classes)
{
    private readonly IReadOnlyList<ClassPrompt> _classes = Copy(Classes, nameof(Classes));
    private readonly IReadOnlyList<ClassPrompt> _negatives = [];
    private readonly IReadOnlyList<AttributePrompt> _attributes = [];

    /// <summary>The classes reported in results.</summary>
    public IReadOnlyList<ClassPrompt> Classes
    {
        get => _classes;
        init => _classes = Copy(value, nameof(Classes));
    }

    /// <summary>
    /// Negative prompts ("mannequin", "poster of a person"): scored in the same pass as the classes, never returned.
    /// An anchor whose best prompt is a negative is dropped, as one whose best class is filtered out. Negatives do not
    /// also suppress overlapping boxes of the classes: measured, that removed no further false positive and cost true
    /// ones (docs/prompting.md). Text, example images or both, like classes. A negative may not share a label or
    /// prompt with a class. Empty by default.
    /// </summary>
    public IReadOnlyList<ClassPrompt> Negatives
    {
        get => _negatives;
        init => _negatives = Copy(value, nameof(Negatives));
    }

    /// <summary>
    /// Attributes: each kept box of the named class is cropped, run through the CLIP image encoder and classified
    /// zero-shot against the attribute labels (one list per class). Empty by default.
    /// </summary>
    public IReadOnlyList<AttributePrompt> Attributes
    {
        get => _attributes;
        init => _attributes = Copy(value, nameof(Attributes));
    }

    // Private copies: the set stays immutable even if the caller's lists change later.
    private static T[] Copy<T>(IReadOnlyList<T> value, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        return [.. value];
    }
}
