namespace OpenVocab.Tests.Classification;

/// <summary>One image of the shipped pack's classification evaluation set, with its labels.</summary>
internal sealed record EvalImage(string Path, string Caption, string Colour, string Shape, bool HeldOut, string Kind);
