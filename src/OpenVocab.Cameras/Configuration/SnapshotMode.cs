namespace OpenVocab.Cameras.Configuration;

/// <summary>Whether events carry a JPEG.</summary>
public enum SnapshotMode
{
    /// <summary>No image (<c>none</c>).</summary>
    None,

    /// <summary>The object's box, cropped from the frame (<c>crop</c>).</summary>
    Crop,

    /// <summary>The whole frame (<c>frame</c>).</summary>
    Frame,
}
