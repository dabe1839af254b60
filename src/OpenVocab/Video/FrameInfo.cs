namespace OpenVocab.Video;

/// <summary>Where a frame sits in its source.</summary>
/// <param name="Index">0-based index among the frames the source produced (skipped unreadable frames keep their index).</param>
/// <param name="Timestamp">Position in a file, or time since the source was first opened for live sources.</param>
public readonly record struct FrameInfo(long Index, TimeSpan Timestamp);
