namespace OpenVocab.Search;

/// <summary>One indexed image.</summary>
/// <param name="RelativePath">Path relative to the index's root folder, with '/' separators.</param>
/// <param name="FileSize">File size in bytes when it was embedded.</param>
/// <param name="LastWriteUtcTicks">Last-write time (UTC ticks) when it was embedded.</param>
public sealed record ImageIndexEntry(string RelativePath, long FileSize, long LastWriteUtcTicks);

/// <summary>A search result.</summary>
/// <param name="Path">Full path of the image (root folder + relative path).</param>
/// <param name="Score">Cosine similarity to the query.</param>
/// <param name="Index">The entry's position in <see cref="ImageIndex.Entries"/>.</param>
public readonly record struct ImageSearchHit(string Path, float Score, int Index);

/// <summary>Progress of an index build.</summary>
/// <param name="Done">Images embedded (or failed) so far in this build.</param>
/// <param name="Total">Images this build has to embed (new and changed ones).</param>
/// <param name="Elapsed">Time since the build started embedding.</param>
public readonly record struct ImageIndexProgress(int Done, int Total, TimeSpan Elapsed)
{
    /// <summary>Images per second so far.</summary>
    public double Rate => Elapsed.TotalSeconds > 0 ? Done / Elapsed.TotalSeconds : 0;

    /// <summary>Estimated time left, when a rate is known.</summary>
    public TimeSpan? Remaining => Done > 0 && Rate > 0 ? TimeSpan.FromSeconds((Total - Done) / Rate) : null;
}

/// <summary>An image that could not be indexed, and why (skipped; retried by the next update).</summary>
/// <param name="Path">Full path.</param>
/// <param name="Reason">The error message.</param>
public sealed record ImageIndexFailure(string Path, string Reason);

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

/// <summary>How an index is built. Immutable; validated on construction.</summary>
public sealed record ImageIndexBuildOptions
{
    private readonly int _batchSize = 16;
    private readonly int _checkpointImages = 256;
    private readonly TimeSpan _checkpointInterval = TimeSpan.FromSeconds(30);

    /// <summary>Images per encoder run. Default 16.</summary>
    public int BatchSize
    {
        get => _batchSize;
        init => _batchSize = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(BatchSize), value, "The batch size must be at least 1.");
    }

    /// <summary>The index file is saved after at most this many newly embedded images. Default 256.</summary>
    public int CheckpointImages
    {
        get => _checkpointImages;
        init => _checkpointImages = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(CheckpointImages), value, "Must be at least 1.");
    }

    /// <summary>The index file is saved at least this often while embedding. Default 30 s.</summary>
    public TimeSpan CheckpointInterval
    {
        get => _checkpointInterval;
        init => _checkpointInterval = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(CheckpointInterval), value, "Must be positive.");
    }

    /// <summary>File extensions indexed (case-insensitive, with the dot): <see cref="Imaging.ImageFiles.Extensions"/>.</summary>
    public static IReadOnlySet<string> ImageExtensions => Imaging.ImageFiles.Extensions;
}
