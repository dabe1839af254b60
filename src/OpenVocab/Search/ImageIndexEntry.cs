namespace OpenVocab.Search;

/// <summary>One indexed image.</summary>
/// <param name="RelativePath">Path relative to the index's root folder, with '/' separators.</param>
/// <param name="FileSize">File size in bytes when it was embedded.</param>
/// <param name="LastWriteUtcTicks">Last-write time (UTC ticks) when it was embedded.</param>
public sealed record ImageIndexEntry(string RelativePath, long FileSize, long LastWriteUtcTicks);
