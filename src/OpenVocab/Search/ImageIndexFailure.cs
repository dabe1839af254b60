namespace OpenVocab.Search;

/// <summary>An image that could not be indexed, and why (skipped; retried by the next update).</summary>
/// <param name="Path">Full path.</param>
/// <param name="Reason">The error message.</param>
public sealed record ImageIndexFailure(string Path, string Reason);
