namespace OpenVocab.Video;

/// <summary>How frames flow through the pipeline.</summary>
public enum VideoMode
{
    /// <summary><see cref="Live"/> for live sources (cameras, streams), <see cref="EveryFrame"/> otherwise.</summary>
    Auto,

    /// <summary>Every frame (after the stride) is detected, in order; the source waits for detection. For files.</summary>
    EveryFrame,

    /// <summary>Detection always takes the newest frame; older waiting frames are dropped and counted. For cameras and streams.</summary>
    Live,
}
