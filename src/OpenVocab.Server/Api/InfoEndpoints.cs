using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using OpenVocab.Server.Batching;
using OpenVocab.Server.Hosting;

namespace OpenVocab.Server.Api;

/// <summary><c>GET /v1/info</c>: what the server runs and its limits.</summary>
internal static class InfoEndpoints
{
    public static void Map(RouteGroupBuilder v1) =>
        v1.MapGet("/info", (ModelHost models, ClassSetStore store, DetectBatcher batcher, IOptions<ServerOptions> options) =>
            {
                var m = models.Current;
                var o = options.Value;
                return TypedResults.Ok(new InfoResponse(
                    m.Pack.Name,
                    o.Device,
                    m.Detector is { } d ? new DetectorInfo(d.InputWidth, d.InputHeight, d.IsOpenVocabulary, d.MaxClasses, [.. d.ModelClassNames]) : null,
                    m.TextEncoder is { } t ? new TextEncoderInfo(t.Dimension, t.CachedPrompts, t.InferenceRuns) : null,
                    m.ImageEncoder is { } i ? new ImageEncoderInfo(i.Dimension, i.ImageSize, i.ImagesEncoded) : null,
                    m.Index is { } x ? new IndexInfo(x.Count, x.Dimension) : null,
                    store.Count,
                    new BatchingInfo(!o.DisableBatching, o.MaxBatch, o.BatchWindowMs, batcher.Waiting),
                    new LimitsInfo(o.MaxBodyBytes, o.MaxImagePixels, o.MaxImagesPerRequest, o.MaxClasses, o.MaxPromptLength)));
            })
            .WithName("Info").WithSummary("The pack, its graphs, the provider, cache sizes, batching and limits.")
            .Produces<InfoResponse>().ProducesProblem(503);
}
