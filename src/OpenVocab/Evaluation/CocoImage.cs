namespace OpenVocab.Evaluation;

/// <summary>An image entry of a COCO dataset.</summary>
/// <param name="Id">Image id.</param>
/// <param name="FileName">File name, relative to the image folder.</param>
/// <param name="Width">Width in pixels (0 when absent).</param>
/// <param name="Height">Height in pixels (0 when absent).</param>
public sealed record CocoImage(long Id, string FileName, int Width, int Height);
