namespace OpenVocab.Cameras.Hosting;

/// <summary>One camera's state and counters. A snapshot; never changes afterwards.</summary>
/// <param name="Name">The camera.</param>
/// <param name="Source">Its source.</param>
/// <param name="State">Where it is.</param>
/// <param name="Width">Frame width (0 before the first frame).</param>
/// <param name="Height">Frame height.</param>
/// <param name="FramesRead">Frames its sources delivered, over every connection.</param>
/// <param name="FramesProcessed">Frames detected and analysed.</param>
/// <param name="FramesDropped">Frames dropped in live mode because a newer one arrived first.</param>
/// <param name="Reconnects">Attempts to open its source again after a failure.</param>
/// <param name="Events">Events emitted.</param>
/// <param name="Fps">Processed frames per second over the last few seconds.</param>
/// <param name="Classes">The labels it looks for now.</param>
/// <param name="LastError">The last failure, or null.</param>
public sealed record CameraStatus(string Name, string Source, CameraState State, int Width, int Height, long FramesRead, long FramesProcessed, long FramesDropped,
    long Reconnects, long Events, double Fps, IReadOnlyList<string> Classes, string? LastError)
{
    /// <summary>The cluster silo that runs the camera, or null on a single machine.</summary>
    public string? Silo { get; init; }
}
