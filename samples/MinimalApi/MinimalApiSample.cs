using System.Text.Json;
using OpenVocab.Detection;

namespace OpenVocab.Samples.MinimalApi;

/// <summary>
/// The library inside an ASP.NET Core minimal API, for apps that want one detection endpoint rather than the full
/// OpenVocab server: <c>POST /detect?classes=a,b</c> with an encoded image as the body returns the detections in the
/// library's JSON shape (<see cref="DetectionJson"/>).
/// </summary>
public static class MinimalApiSample
{
    /// <summary>Builds the app; the pack comes from configuration <c>Pack</c> (default <c>models/shapes</c>).</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        // One detector for the whole app: Detector is thread-safe, and loading it once keeps requests fast.
        builder.Services.AddSingleton(_ => Detector.Load(builder.Configuration["Pack"] ?? "models/shapes"));
        var app = builder.Build();

        app.MapPost("/detect", async (HttpRequest request, Detector detector, string classes, CancellationToken cancel) =>
        {
            string[] names = classes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (names.Length == 0)
            {
                return Results.Problem("classes names no class: expected ?classes=a,b", statusCode: 400);
            }

            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, cancel).ConfigureAwait(false);
            try
            {
                // A class set per request: concurrent requests may ask for different classes.
                DetectionResult result = detector.Detect(body.ToArray(), classes: detector.CreateClassSet(names));
                // The library's one JSON shape for a result (the CLI's detect --json writes the same).
                var json = new MemoryStream();
                using (var writer = new Utf8JsonWriter(json))
                {
                    DetectionJson.WriteResult(writer, "request", result);
                }

                return Results.Bytes(json.ToArray(), "application/json");
            }
            catch (ImageDecodeException e)
            {
                return Results.Problem(e.Message, statusCode: 400);
            }
        });
        return app;
    }
}
