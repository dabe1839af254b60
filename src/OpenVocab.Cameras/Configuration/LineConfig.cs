using OpenVocab.Cameras.Analytics;

namespace OpenVocab.Cameras.Configuration;

/// <summary>
/// A counting line from <see cref="From"/> to <see cref="To"/>. Looking from <c>From</c> to <c>To</c> on screen,
/// crossing from the left side to the right side counts <c>in</c>, the other way <c>out</c>. Immutable.
/// </summary>
/// <param name="Name">Unique within the camera (zones and lines share one name space).</param>
/// <param name="From">First end, in the camera's <see cref="CameraConfig.Coordinates"/>.</param>
/// <param name="To">Second end.</param>
public sealed record LineConfig(string Name, PointF From, PointF To)
{
    /// <summary>
    /// Distance in pixels an object's anchor must be from the line to be on a side. A crossing counts only when the
    /// anchor goes from beyond this distance on one side to beyond it on the other, so jitter on the line counts nothing.
    /// Default 4.
    /// </summary>
    public double Hysteresis { get; init; } = 4;

    /// <summary>Labels this line counts; null for all.</summary>
    public IReadOnlyList<string>? Classes { get; init; }
}
