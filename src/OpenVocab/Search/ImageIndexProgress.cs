namespace OpenVocab.Search;

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
