namespace OpenVocab.Cameras.Configuration;

/// <summary>How zone and line points are given.</summary>
public enum CoordinateUnits
{
    /// <summary>Frame pixels (<c>pixels</c>).</summary>
    Pixels,

    /// <summary>Fractions 0..1 of the frame's width and height (<c>normalized</c>), resolved when the first frame arrives.</summary>
    Normalized,
}
