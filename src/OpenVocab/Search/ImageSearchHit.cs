namespace OpenVocab.Search;

/// <summary>A search result.</summary>
/// <param name="Path">Full path of the image (root folder + relative path).</param>
/// <param name="Score">Cosine similarity to the query.</param>
/// <param name="Index">The entry's position in <see cref="ImageIndex.Entries"/>.</param>
public readonly record struct ImageSearchHit(string Path, float Score, int Index);
