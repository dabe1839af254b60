namespace OpenVocab.Text;

/// <summary>Settings of a <see cref="TextEncoder"/>.</summary>
public sealed record TextEncoderOptions
{
    private readonly int _cacheCapacity = 4096;
    private readonly int _maxBatchSize = 256;

    /// <summary>
    /// Embeddings kept, keyed by the exact prompt string; the least recently used is evicted beyond this.
    /// 0 turns the cache off. Default 4096.
    /// </summary>
    public int CacheCapacity
    {
        get => _cacheCapacity;
        init => _cacheCapacity = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(CacheCapacity), value, "The cache capacity cannot be negative.");
    }

    /// <summary>
    /// The most prompts in one inference run; more uncached prompts are run in chunks of this size. Default 256.
    /// A graph with a fixed batch dimension uses that instead.
    /// </summary>
    public int MaxBatchSize
    {
        get => _maxBatchSize;
        init => _maxBatchSize = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), value, "The batch size must be at least 1.");
    }
}
