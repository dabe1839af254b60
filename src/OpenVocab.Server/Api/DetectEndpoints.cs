using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using OpenVocab.Detection;
using OpenVocab.Server.Hosting;

namespace OpenVocab.Server.Api;

/// <summary><c>POST /v1/detect</c> and the class-set routes.</summary>
internal static class DetectEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/detect", DetectAsync)
            .WithName("Detect")
            .WithSummary("Detects objects named by text prompts and/or example images in one or more images.")
            .WithDescription("Multipart form with the images, example images of classes (class_image) and parameters, or one image as the raw body (image/*) with the parameters in the query. Negative prompts (not), per-class thresholds (classConf) and attributes are taken as by the CLI. The answer is the document `openvocab detect --json` prints.")
            .WithMetadata(new RequestBodyDoc("multipart/form-data", typeof(DetectForm)), new RequestBodyDoc("image/*", null))
            .Produces<DetectResponse>(StatusCodes.Status200OK, "application/json")
            .ProducesProblem(400).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422).ProducesProblem(503);

        v1.MapGet("/classsets", (ClassSetStore store) =>
                TypedResults.Ok(new ClassSetList([.. store.List()])))
            .WithName("ListClassSets").WithSummary("Lists the stored class sets.");

        v1.MapGet("/classsets/{name}", (string name, ClassSetStore store) =>
            {
                ClassSetStore.CheckName(name);
                return store.TryGet(name, out var info, out _)
                    ? Results.Ok(info)
                    : throw new ApiProblemException(404, "name", $"No class set named '{name}' is stored.");
            })
            .WithName("GetClassSet").WithSummary("Gets a stored class set.")
            .Produces<ClassSetInfo>().ProducesProblem(400).ProducesProblem(404);

        v1.MapPut("/classsets/{name}", PutClassSetAsync)
            .WithName("PutClassSet").WithSummary("Stores (or replaces) a named class set, encoded once and then used by name.")
            .WithDescription("JSON with classes, and optionally negatives (not) and attributes; or a multipart form that may also carry example images (class_image), as POST /v1/detect takes them.")
            .WithMetadata(new RequestBodyDoc("application/json", typeof(ClassSetBody)), new RequestBodyDoc("multipart/form-data", typeof(ClassSetForm)))
            .Produces<ClassSetInfo>(StatusCodes.Status200OK).Produces<ClassSetInfo>(StatusCodes.Status201Created)
            .ProducesProblem(400).ProducesProblem(415).ProducesProblem(422);

        v1.MapDelete("/classsets/{name}", (string name, ClassSetStore store) =>
            {
                ClassSetStore.CheckName(name);
                return store.Delete(name) ? Results.NoContent() : throw new ApiProblemException(404, "name", $"No class set named '{name}' is stored.");
            })
            .WithName("DeleteClassSet").WithSummary("Deletes a stored class set.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(400).ProducesProblem(404);
    }

    private static async Task PutClassSetAsync(string name, HttpContext context, IOptions<ServerOptions> options, ClassSetStore store, JsonSerializerOptions json)
    {
        ClassSetStore.CheckName(name);
        PromptSpec spec;
        if (ApiRequest.IsJson(context.Request))
        {
            var body = await ApiRequest.ReadJsonAsync<ClassSetBody>(context, json).ConfigureAwait(false);
            if (body.Classes is null)
            {
                throw new ApiProblemException(400, "classes", "'classes' is missing; expected an array of class names.");
            }

            spec = PromptRequest.Create(body.Classes, [], body.Not ?? [], body.Attributes ?? [], options.Value, PromptRequest.Rest);
        }
        else if (ApiRequest.IsForm(context.Request))
        {
            using var form = await ApiRequest.ReadAsync(context, options.Value, "images", 0, PromptRequest.Rest.Exemplars).ConfigureAwait(false);
            spec = PromptRequest.FromForm(form, options.Value);
        }
        else
        {
            throw new ApiProblemException(415, "Content-Type", $"Content-Type '{context.Request.ContentType}' is not accepted here: send application/json like {{\"classes\":[\"red circle\",\"blue star\"]}}, or multipart/form-data to include example images.");
        }

        var created = store.Put(name, spec, out var info);
        await (created ? TypedResults.Created($"/v1/classsets/{name}", info) : (IResult)TypedResults.Ok(info)).ExecuteAsync(context).ConfigureAwait(false);
    }

    private static async Task DetectAsync(HttpContext context, IOptions<ServerOptions> options, ModelHost models, ClassSetStore store, DetectService detect)
    {
        var detector = models.Current.Detector ?? throw new ApiProblemException(422, "images", "This server's model pack has no detector.");
        using var request = await ApiRequest.ReadAsync(context, options.Value, "images", options.Value.MaxImagesPerRequest, PromptRequest.Rest.Exemplars).ConfigureAwait(false);

        // Parameters are all checked before any image is run, so a bad one costs no inference.
        var classes = store.Resolve(request.Get("classSet"), PromptRequest.FromForm(request, options.Value), detector);
        var detectionOptions = ReadOptions(request);
        var classConf = ReadClassConf(request.Get("classConf"));
        if (classConf is not null)
        {
            DetectService.CheckClassConf(classConf, classes, "classConf");
        }

        if (request.Images.Count == 0)
        {
            throw new ApiProblemException(400, "images", "No image was sent; expected one or more image files in the multipart field 'images', or one image as the raw body.");
        }

        var results = await detect.DetectAsync([.. request.Images.Select(i => i.Image)], classes, detectionOptions, classConf).ConfigureAwait(false);
        context.Response.ContentType = "application/json";
        using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
        DetectionJson.WriteDocument(writer, [.. request.Images.Select((image, i) => (image.Name, results[i]))]);
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static DetectionOptions ReadOptions(ApiRequest request) => DetectService.Options(
        request.Get("conf") is null ? null : request.GetDouble("conf", 0, 0, 1),
        request.Get("iou") is null ? null : request.GetDouble("iou", 0, 0, 1),
        request.GetOptionalInt("max_det", 1, 100_000),
        request.GetBool("agnostic"));

    private static Dictionary<string, double>? ReadClassConf(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, double>>(text)
                ?? throw new ApiProblemException(400, "classConf", "'classConf' is null; expected a JSON object such as {\"red circle\": 0.5}.");
        }
        catch (JsonException e)
        {
            throw new ApiProblemException(400, "classConf", $"'classConf' is not a JSON object of label to minimum score, such as {{\"red circle\": 0.5}}: {e.Message}");
        }
    }
}
