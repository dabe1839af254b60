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
    private readonly IReadOnlyList<AttributePrompt> _attributes = [];

    /// <summary>The classes reported in results.</summary>
    public IReadOnlyList<ClassPrompt> Classes
    {
        get => _classes;
        init => _classes = Copy(value, nameof(Classes));
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
