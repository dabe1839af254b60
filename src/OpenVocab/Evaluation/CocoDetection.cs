namespace OpenVocab.Evaluation;

/// <summary>A detection to evaluate (a COCO result entry).</summary>
/// <param name="ImageId">The image it was found in.</param>
/// <param name="CategoryId">Its category.</param>
/// <param name="Box">Its box.</param>
/// <param name="Score">Its confidence; higher ranks first.</param>
public readonly record struct CocoDetection(long ImageId, int CategoryId, CocoBox Box, double Score);
