using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace OpenVocab.Server.Hosting;

/// <summary>The OpenAPI document's title and the request bodies the handlers read themselves (<see cref="RequestBodyDoc"/>).</summary>
internal static class OpenApiSetup
{
    public static void Add(IServiceCollection services) => services.AddOpenApi(options =>
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "OpenVocab server";
            document.Info.Description = "Open-vocabulary detection, zero-shot classification, embeddings and image search. Client errors are RFC 9457 problem documents naming the field.";
            return Task.CompletedTask;
        });
        options.AddOperationTransformer(async (operation, context, token) =>
        {
            var bodies = context.Description.ActionDescriptor.EndpointMetadata.OfType<RequestBodyDoc>().ToList();
            if (bodies.Count == 0)
            {
                return;
            }

            var body = new OpenApiRequestBody { Required = true, Content = new Dictionary<string, OpenApiMediaType>() };
            foreach (var doc in bodies)
            {
                IOpenApiSchema schema = doc.Schema is null
                    ? new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" }
                    : await context.GetOrCreateSchemaAsync(doc.Schema, null, token).ConfigureAwait(false);
                body.Content[doc.ContentType] = new OpenApiMediaType { Schema = schema };
            }

            operation.RequestBody = body;
        });
    });
}
