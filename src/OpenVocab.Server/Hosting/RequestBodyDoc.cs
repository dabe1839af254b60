namespace OpenVocab.Server.Hosting;

/// <summary>
/// Describes a request body to the OpenAPI document without restricting routing by content type (which
/// <c>Accepts</c> would do, turning a wrong type into a bare 404/415 instead of the handler's own problem document).
/// </summary>
/// <param name="ContentType">The media type, e.g. <c>multipart/form-data</c> or <c>image/*</c>.</param>
/// <param name="Schema">The type whose schema the body has; null for a binary body.</param>
internal sealed record RequestBodyDoc(string ContentType, Type? Schema);
