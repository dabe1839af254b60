using System.Collections.ObjectModel;
using System.Text.Json;

namespace OpenVocab.Evaluation;

/// <summary>A category entry of a COCO dataset, with any fields beyond the standard ones kept.</summary>
public sealed record CocoCategory
{
    private static readonly IReadOnlyDictionary<string, JsonElement> NoExtras =
        new ReadOnlyDictionary<string, JsonElement>(new Dictionary<string, JsonElement>());

    /// <summary>Creates a category.</summary>
    /// <param name="id">Category id.</param>
    /// <param name="name">Category name (the prompt, for open-vocabulary evaluation).</param>
    public CocoCategory(int id, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Id = id;
        Name = name;
    }

    /// <summary>Category id.</summary>
    public int Id { get; }

    /// <summary>Category name.</summary>
    public string Name { get; }

    /// <summary>The <c>supercategory</c> field, when present.</summary>
    public string? Supercategory { get; init; }

    /// <summary>
    /// The boolean <c>heldout</c> field (false when absent): a class the detector never saw in training,
    /// to report separately from the seen ones.
    /// </summary>
    public bool IsHeldOut { get; init; }

    /// <summary>Every field other than <c>id</c>, <c>name</c> and <c>supercategory</c>, as read (independent of the
    /// parsed document).</summary>
    public IReadOnlyDictionary<string, JsonElement> Extra { get; init; } = NoExtras;
}
