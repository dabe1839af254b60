using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using OpenVocab.Classification;
using OpenVocab.Server.Hosting;

namespace OpenVocab.Server.Api;

/// <summary><c>POST /v1/classify</c>, <c>/v1/embed</c> and <c>/v1/search</c>: the CLIP half of the pack.</summary>
internal static class ClipEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/classify", ClassifyAsync)
            .WithName("Classify").WithSummary("Classifies whole images zero-shot against labels.")
            .WithMetadata(new RequestBodyDoc("multipart/form-data", typeof(ClassifyForm)))
            .Produces<ClassifyResponse>().ProducesProblem(400).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422);

        v1.MapPost("/embed", EmbedAsync)
            .WithName("Embed").WithSummary("L2-normalised CLIP embeddings of texts and/or images.")
            .WithMetadata(new RequestBodyDoc("application/json", typeof(EmbedBody)), new RequestBodyDoc("multipart/form-data", typeof(EmbedForm)))
            .Produces<EmbedResponse>().ProducesProblem(400).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422);

        v1.MapPost("/search", SearchAsync)
            .WithName("Search").WithSummary("Searches the server's image index (given at start-up) by text or by example image.")
            .WithMetadata(new RequestBodyDoc("application/json", typeof(SearchBody)), new RequestBodyDoc("multipart/form-data", typeof(SearchForm)))
            .Produces<SearchResponse>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422);
    }

    private static ZeroShotClassifier Classifier(ModelHost models, string field) =>
        models.Current.Classifier ?? throw new ApiProblemException(422, field, "This server's model pack has no text and image encoder for classification and embeddings.");

    private static async Task<IResult> ClassifyAsync(HttpContext context, IOptions<ServerOptions> options, ModelHost models, ClassSetStore store)
    {
        var classifier = Classifier(models, "images");
        if (!ApiRequest.IsForm(context.Request))
        {
            throw new ApiProblemException(415, "Content-Type", $"Content-Type '{context.Request.ContentType}' is not accepted here: send multipart/form-data with 'images' and 'labels'.");
        }

        using var request = await ApiRequest.ReadAsync(context, options.Value, "images", options.Value.MaxImagesPerRequest).ConfigureAwait(false);
        var labels = request.GetList("labels");
        store.CheckList(labels, "labels");
        var template = request.Get("template");
        var ensemble = request.GetBool("ensemble");
        if (ensemble && template is not null)
        {
            throw new ApiProblemException(400, "template", "Both 'template' and 'ensemble' were given; send one of them.");
        }

        if (template is not null && template.Length > options.Value.MaxPromptLength)
        {
            throw new ApiProblemException(400, "template", $"'template' is {template.Length} characters long; this server takes at most {options.Value.MaxPromptLength}.");
        }

        var topK = request.GetOptionalInt("top_k", 1, labels.Count == 0 ? 1 : labels.Count);
        if (request.Images.Count == 0)
        {
            throw new ApiProblemException(400, "images", "No image was sent; expected one or more image files in the multipart field 'images'.");
        }

        ZeroShotLabelSet set;
        try
        {
            var zeroShot = ensemble ? ZeroShotOptions.ImageNetEnsemble : template is null ? ZeroShotOptions.Default : new ZeroShotOptions { Templates = [template] };
            set = classifier.CreateLabels(labels, zeroShot);
        }
        catch (ArgumentException e)
        {
            throw new ApiProblemException(400, e.ParamName is "template" or "templates" or "Templates" ? "template" : "labels", e.Message);
        }

        var results = await Task.Run(() => classifier.Classify([.. request.Images.Select(i => i.Image)], set, topK)).ConfigureAwait(false);
        return TypedResults.Ok(new ClassifyResponse([.. request.Images.Select((image, i) => new ClassifyImageResult(image.Name,
            [.. results[i].Predictions.Select(p => new Prediction(p.Label, Math.Round(p.Score, 6), Math.Round(p.Similarity, 6)))]))]));
    }

    private static async Task<IResult> EmbedAsync(HttpContext context, IOptions<ServerOptions> options, ModelHost models, ClassSetStore store, JsonSerializerOptions json)
    {
        var classifier = Classifier(models, "texts");
        string[] texts;
        ApiRequest? request = null;
        try
        {
            if (ApiRequest.IsJson(context.Request))
            {
                var body = await ApiRequest.ReadJsonAsync<EmbedBody>(context, json).ConfigureAwait(false);
                texts = body.Texts ?? throw new ApiProblemException(400, "texts", "'texts' is missing; expected an array of strings.");
                for (var i = 0; i < texts.Length; i++)
                {
                    if (string.IsNullOrWhiteSpace(texts[i]))
                    {
                        throw new ApiProblemException(400, $"texts[{i}]", $"Entry {i} of 'texts' is blank; expected text.");
                    }
                }
            }
            else if (ApiRequest.IsForm(context.Request))
            {
                request = await ApiRequest.ReadAsync(context, options.Value, "images", options.Value.MaxImagesPerRequest).ConfigureAwait(false);
                texts = [.. request.GetValues("texts").Select(t => t ?? "")];
                for (var i = 0; i < texts.Length; i++)
                {
                    if (string.IsNullOrWhiteSpace(texts[i]))
                    {
                        throw new ApiProblemException(400, $"texts[{i}]", $"Entry {i} of 'texts' is blank; expected text.");
                    }
                }
            }
            else
            {
                throw new ApiProblemException(415, "Content-Type", $"Content-Type '{context.Request.ContentType}' is not accepted here: send application/json {{\"texts\":[...]}} or multipart/form-data with 'texts' and/or 'images'.");
            }

            var images = request?.Images ?? [];
            if (texts.Length == 0 && images.Count == 0)
            {
                throw new ApiProblemException(400, "texts", "Nothing to embed; expected at least one entry in 'texts' or one image in 'images'.");
            }

            if (texts.Length > 0)
            {
                store.CheckList(texts, "texts");
            }

            var (textVectors, imageVectors) = await Task.Run(() => (
                texts.Length > 0 ? classifier.EmbedText(texts) : [],
                images.Count > 0 ? classifier.EmbedImages([.. images.Select(i => i.Image)]) : [])).ConfigureAwait(false);
            return TypedResults.Ok(new EmbedResponse(classifier.ImageEncoder.Dimension,
                [.. texts.Select((t, i) => new TextEmbedding(t, textVectors[i]))],
                [.. images.Select((image, i) => new ImageEmbedding(image.Name, imageVectors[i]))]));
        }
        finally
        {
            request?.Dispose();
        }
    }

    private static async Task<IResult> SearchAsync(HttpContext context, IOptions<ServerOptions> options, ModelHost models, JsonSerializerOptions json)
    {
        var current = models.Current;
        var index = current.Index ?? throw new ApiProblemException(404, "index", "This server was started without an image index (openvocab serve --index FILE), so it has nothing to search.");
        var classifier = Classifier(models, "text");
        string? text;
        int topK;
        ApiRequest? request = null;
        try
        {
            if (ApiRequest.IsJson(context.Request))
            {
                var body = await ApiRequest.ReadJsonAsync<SearchBody>(context, json).ConfigureAwait(false);
                text = body.Text;
                topK = body.TopK ?? 10;
                if (topK is < 1 or > 10_000)
                {
                    throw new ApiProblemException(400, "top_k", $"'top_k' is {topK}; expected a whole number from 1 to 10000.");
                }
            }
            else if (ApiRequest.IsForm(context.Request))
            {
                request = await ApiRequest.ReadAsync(context, options.Value, "image", 1).ConfigureAwait(false);
                text = request.Get("text");
                topK = request.GetInt("top_k", 10, 1, 10_000);
            }
            else
            {
                throw new ApiProblemException(415, "Content-Type", $"Content-Type '{context.Request.ContentType}' is not accepted here: send application/json {{\"text\":\"...\"}} or multipart/form-data with 'image'.");
            }

            var image = request?.Images.Count > 0 ? request.Images[0].Image : null;
            if (image is not null && text is not null)
            {
                throw new ApiProblemException(400, "text", "Both 'text' and 'image' were given; search by one of them.");
            }

            if (image is null && string.IsNullOrWhiteSpace(text))
            {
                throw new ApiProblemException(400, "text", "Nothing to search by; expected 'text' or an 'image'.");
            }

            if (text is not null && text.Length > options.Value.MaxPromptLength)
            {
                throw new ApiProblemException(400, "text", $"'text' is {text.Length} characters long; this server takes at most {options.Value.MaxPromptLength}.");
            }

            var hits = await Task.Run(() => image is not null
                ? index.SearchImage(classifier.ImageEncoder, image, topK)
                : index.SearchText(classifier.TextEncoder, text!, topK)).ConfigureAwait(false);

            // Paths relative to the indexed folder: the server's own file layout stays private.
            return TypedResults.Ok(new SearchResponse([.. hits.Select(h => new SearchHit(
                index.Entries[h.Index].RelativePath.Replace('\\', '/'), Math.Round(h.Score, 6), h.Index))]));
        }
        finally
        {
            request?.Dispose();
        }
    }
}
