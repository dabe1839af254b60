using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Hosting;
using OpenVocab.Server.Hosting;

namespace OpenVocab.Server.Api;

/// <summary>
/// <c>/v1/cameras</c>: thin routes over the server's <see cref="CameraHost"/>. Definitions are read by the cameras
/// file's own reader, so a camera sent here is checked exactly as one in a file, with the same messages.
/// </summary>
internal static class CameraEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/cameras", (CameraService cameras) => TypedResults.Ok(new CameraList([.. cameras.Host.Cameras.Select(Info)])))
            .WithName("ListCameras").WithSummary("Lists the running cameras with their counters.")
            .Produces<CameraList>().ProducesProblem(503);

        v1.MapGet("/cameras/{name}", (string name, CameraService cameras) => TypedResults.Ok(Info(Find(cameras.Host, name))))
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

        v1.MapDelete("/cameras/{name}", async (string name, CameraService cameras) =>
                await cameras.Host.RemoveAsync(name).ConfigureAwait(false) ? Results.NoContent() : throw NotFound(name))
            .WithName("DeleteCamera").WithSummary("Stops and removes a camera.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(404).ProducesProblem(503);
    }

    private static async Task<IResult> PutCameraAsync(string name, HttpContext context, CameraService cameras)
    {
        var host = cameras.Host;
        var camera = CamerasConfigReader.ParseCamera(await BodyAsync(context).ConfigureAwait(false), name, "camera definition");

        // The definition is valid (ParseCamera checked it), so the old camera is removed only for one that will start.
        var replaced = await host.RemoveAsync(name).ConfigureAwait(false);
        var info = Info(await host.AddAsync(camera).ConfigureAwait(false));
        return replaced ? TypedResults.Ok(info) : TypedResults.Created($"/v1/cameras/{name}", info);
    }

    private static async Task<IResult> PutClassesAsync(string name, HttpContext context, CameraService cameras)
    {
        var host = cameras.Host;
        Find(host, name);
        var classes = CamerasConfigReader.ParseClasses(await BodyAsync(context).ConfigureAwait(false), $"classes of camera '{name}'");
        try
        {
            return TypedResults.Ok(Info(await host.SetClassesAsync(name, classes).ConfigureAwait(false)));
        }
        catch (KeyNotFoundException)
        {
            throw NotFound(name); // removed between the check and the change
        }
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

    private static CameraStatus Find(CameraHost host, string name) => host.Find(name) ?? throw NotFound(name);

    private static ApiProblemException NotFound(string name) => new(404, "name", $"No camera named '{name}' is running.");

    private static CameraInfo Info(CameraStatus s) => new(
        s.Name, s.Source, s.State.ToString().ToLowerInvariant(), s.Width, s.Height, [.. s.Classes], s.Fps,
        s.FramesRead, s.FramesProcessed, s.FramesDropped, s.Reconnects, s.Events, s.LastError);
}
