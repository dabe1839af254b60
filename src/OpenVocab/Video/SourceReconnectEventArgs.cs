namespace OpenVocab.Video;

/// <summary>Raised before each attempt to reopen a failed source.</summary>
/// <param name="attempt">1 for the first attempt after a failure.</param>
/// <param name="delay">The wait before this attempt.</param>
/// <param name="reason">What went wrong.</param>
public sealed class SourceReconnectEventArgs(int attempt, TimeSpan delay, string reason) : EventArgs
{
    /// <summary>1 for the first attempt after a failure.</summary>
    public int Attempt { get; } = attempt;

    /// <summary>The wait before this attempt.</summary>
    public TimeSpan Delay { get; } = delay;

    /// <summary>What went wrong.</summary>
    public string Reason { get; } = reason;
}
