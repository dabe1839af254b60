namespace OpenVocab.Search;

/// <summary>What an index build or update did. All paths are full paths; lists are the caller's.</summary>
/// <param name="Index">The index as saved.</param>
/// <param name="Added">Images embedded for the first time.</param>
/// <param name="Updated">Images re-embedded because their size or last-write time changed.</param>
/// <param name="Unchanged">Images kept from the previous index without re-embedding.</param>
/// <param name="Removed">Images dropped because their files are gone.</param>
/// <param name="Failed">Images that could not be read or decoded; not in the index.</param>
public sealed record ImageIndexBuildResult(
    ImageIndex Index,
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Updated,
    IReadOnlyList<string> Unchanged,
    IReadOnlyList<string> Removed,
    IReadOnlyList<ImageIndexFailure> Failed);
