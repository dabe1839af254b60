namespace OpenVocab.Cameras.Analytics;

/// <summary>A point in image coordinates (pixels, or 0..1 before a normalised shape is resolved). X right, Y down.</summary>
/// <param name="X">Horizontal coordinate.</param>
/// <param name="Y">Vertical coordinate.</param>
public readonly record struct PointF(double X, double Y)
{
    /// <summary>Cross product of (a − o) and (b − o): positive when b lies clockwise of a on screen (Y points down).</summary>
    internal static double Cross(PointF o, PointF a, PointF b) => ((a.X - o.X) * (b.Y - o.Y)) - ((a.Y - o.Y) * (b.X - o.X));

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant($"({X:0.###}, {Y:0.###})");
}
