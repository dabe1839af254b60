namespace OpenVocab.Cameras.Configuration;

/// <summary>The point of a box that zones and lines test.</summary>
public enum AnchorPoint
{
    /// <summary>Middle of the bottom edge (<c>bottom_center</c>): where a standing object touches the ground.</summary>
    BottomCenter,

    /// <summary>Centre of the box (<c>center</c>).</summary>
    Center,
}
