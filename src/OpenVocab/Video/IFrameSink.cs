using OpenCvSharp;

namespace OpenVocab.Video;

/// <summary>An output fed by the pipeline with each processed frame, in frame order, from one thread.</summary>
public interface IFrameSink
{
    /// <summary>Writes one frame's result. <paramref name="frame"/> belongs to the pipeline and is valid only during the call; do not modify it.</summary>
    void Write(FrameResult result, Mat frame);
}
