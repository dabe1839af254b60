namespace OpenVocab.Video;

/// <summary>A frame source that can be interrupted from another thread while a <see cref="IFrameSource.Read"/> blocks.</summary>
internal interface IInterruptibleSource
{
    /// <summary>Makes a blocked read return (false or an exception) soon.</summary>
    void Interrupt();
}
