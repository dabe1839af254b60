using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Hosting;
using OpenVocab.Server.Hosting;

namespace OpenVocab.Server.Api;

/// <summary>
/// <c>/v1/cameras</c>: thin routes over the server's <see cref="ICameraControl"/>: this machine's camera host, or a
/// cluster when the server fronts one. Definitions are read by the cameras file's own reader, so a camera sent here is
/// checked exactly as one in a file, with the same messages.
/// </summary>
internal static class CameraEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/cameras", async (ICameraControl cameras) => TypedResults.Ok(new CameraList([.. (await cameras.ListAsync().ConfigureAwait(false)).Select(Info)])))
            .WithName("ListCameras").WithSummary("Lists the running cameras with their counters.")
            .Produces<CameraList>().ProducesProblem(503);

        v1.MapGet("/cameras/{name}", async (string name, ICameraControl cameras) => TypedResults.Ok(Info(await cameras.FindAsync(name).ConfigureAwait(false) ?? throw NotFound(name))))
            .WithName("GetCamera").WithSummary("One camera's state and counters.")
            .Produces<CameraInfo>().ProducesProblem(404).ProducesProblem(503);

        v1.MapPut("/cameras/{name}", PutCameraAsync)
            .WithName("PutCamera").WithSummary("Starts a camera, or replaces the one by that name, from a definition shaped as in the cameras file.")
            .WithMetadata(new RequestBodyDoc("application/json", typeof(CameraBody)))
            .Produces<CameraInfo>(StatusCodes.Status200OK).Produces<CameraInfo>(StatusCodes.Status201Created)
            .ProducesProblem(400).ProducesProblem(415).ProducesProblem(422).ProducesProblem(503);

        v1.MapPut("/cameras/{name}/classes", PutClassesAsync)
            .WithName("PutCameraClasses").WithSummary("Changes a running camera's classes; the next frame to be detected uses them.")
            .WithMetadata(new RequestBodyDoc("application/json", typeof(CameraClassesBody)))
            .Produces<CameraInfo>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(415).ProducesProblem(422).ProducesProblem(503);

        v1.MapDelete("/cameras/{name}", async (string name, ICameraControl cameras) =>
                await cameras.RemoveAsync(name).ConfigureAwait(false) ? Results.NoContent() : throw NotFound(name))
            .WithName("DeleteCamera").WithSummary("Stops and removes a camera.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(404).ProducesProblem(503);
    }

    private static async Task<IResult> PutCameraAsync(string name, HttpContext context, ICameraControl cameras)
    {
        var (camera, replaced) = await cameras.PutAsync(name, await BodyAsync(context).ConfigureAwait(false)).ConfigureAwait(false);
        return replaced ? TypedResults.Ok(Info(camera)) : TypedResults.Created($"/v1/cameras/{name}", Info(camera));
    }

    private static async Task<IResult> PutClassesAsync(string name, HttpContext context, ICameraControl cameras)
    {
        _ = await cameras.FindAsync(name).ConfigureAwait(false) ?? throw NotFound(name);
        var classes = CamerasConfigReader.ParseClasses(await BodyAsync(context).ConfigureAwait(false), $"classes of camera '{name}'");
        // Null: removed between the check and the change.
        return TypedResults.Ok(Info(await cameras.SetClassesAsync(name, classes).ConfigureAwait(false) ?? throw NotFound(name)));
    }

    private static async Task<string> BodyAsync(HttpContext context)
    {
        if (!ApiRequest.IsJson(context.Request))
        {
            throw new ApiProblemException(415, "Content-Type", $"Content-Type '{context.Request.ContentType}' is not accepted here: send application/json.");
        }

        using var reader = new StreamReader(context.Request.Body);
        return await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static ApiProblemException NotFound(string name) => new(404, "name", $"No camera named '{name}' is running.");

    private static CameraInfo Info(CameraStatus s) => new(
        s.Name, s.Source, s.State.ToString().ToLowerInvariant(), s.Width, s.Height, [.. s.Classes], s.Fps,
        s.FramesRead, s.FramesProcessed, s.FramesDropped, s.Reconnects, s.Events, s.LastError)
    {
        Silo = s.Silo,
    };
}
