namespace OpenVocab.Search;

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
