using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenVocab.Cameras.Hosting;
using OpenVocab.Server.Api;
using OpenVocab.Server.Batching;
using OpenVocab.Server.Grpc;
using OpenVocab.Server.Hosting;
using Prometheus;

namespace OpenVocab.Server;

/// <summary>
/// Builds and runs the OpenVocab server: REST under <c>/v1</c>, gRPC, the web page, <c>/healthz</c>, <c>/readyz</c>,
/// <c>/metrics</c> and <c>/openapi/v1.json</c>, configured from appsettings.json, environment variables and the
/// command line (see <see cref="ServerOptions"/>).
/// </summary>
public static class OpenVocabServer
{
    /// <summary>Builds the server without starting it. The caller owns the returned app (dispose it).</summary>
    /// <param name="args">Command-line configuration, e.g. <c>--Server:Model=models/shapes</c>.</param>
    /// <param name="cameras">
    /// What <c>/v1/cameras</c> controls: null (default) for cameras run by this server on its own detector; a cluster's
    /// control (OpenVocab.Cluster) to front a cluster. Not owned: the caller disposes it after the app.
    /// </param>
    public static WebApplication Build(string[] args, ICameraControl? cameras = null)
    {
        var builder = WebApplication.CreateBuilder(args);

        // Defaults below every other source: request-by-request framework logs only when asked for.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",

                // A readiness probe that fails while the models load is expected, not an error: /readyz says why.
                ["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks"] = "Critical",
            },
        });
        var bound = builder.Configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();

        builder.Services.AddOptions<ServerOptions>()
            .Bind(builder.Configuration.GetSection(ServerOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ServerOptions>, ServerOptionsValidator>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(bound.ShutdownTimeoutSeconds));

        var endpoints = new ServerEndpoints();
        builder.Services.AddSingleton(endpoints);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = bound.MaxBodyBytes;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(bound.RequestHeadersTimeoutSeconds);
            kestrel.Limits.MinRequestBodyDataRate = bound.MinRequestBodyBytesPerSecond > 0
                ? new MinDataRate(bound.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(5))
                : null;
            Listen(kestrel, "Server:Url", bound.Url, HttpProtocols.Http1, o => endpoints.RestListen = o);
            if (!string.IsNullOrWhiteSpace(bound.GrpcUrl))
            {
                Listen(kestrel, "Server:GrpcUrl", bound.GrpcUrl, HttpProtocols.Http2, o => endpoints.GrpcListen = o);
            }
        });
        builder.Services.Configure<FormOptions>(o =>
        {
            o.MultipartBodyLengthLimit = long.MaxValue; // Kestrel's MaxRequestBodySize bounds the whole body: one limit, one 413
            o.ValueCountLimit = Math.Max(1024, bound.MaxClasses * 2 + 64);
        });

        builder.Services.AddSingleton(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelHost>());
        builder.Services.AddSingleton<CameraService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CameraService>()); // after ModelHost: stops before it
        builder.Services.AddSingleton<ICameraControl>(sp => cameras ?? sp.GetRequiredService<CameraService>());
        builder.Services.AddSingleton<DetectBatcher>();
        builder.Services.AddSingleton<ClassSetStore>();
        builder.Services.AddSingleton<DetectService>();

        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            // Every problem carries the request id; a 500's id is the one in the server log.
            c.ProblemDetails.Extensions["requestId"] = c.HttpContext.TraceIdentifier;
        });
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.AddHealthChecks().AddCheck<ModelsHealthCheck>("models", tags: ["ready"]);
        OpenApiSetup.Add(builder.Services);
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = (int)Math.Min(bound.MaxBodyBytes, int.MaxValue);
            o.IgnoreUnknownServices = true; // no catch-all route: a wrong method on a REST route stays a 405
        });
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<ServerOptions>, ServerMetrics>((o, server, metrics) =>
        {
            o.AddConcurrencyLimiter(RateLimitPolicy, c =>
            {
                c.PermitLimit = server.Value.MaxConcurrentRequests;
                c.QueueLimit = server.Value.QueueLimit;
                c.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
            o.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
            o.OnRejected = async (rejected, token) =>
            {
                metrics.Rejected("queue_full");
                var http = rejected.HttpContext;
                http.Response.Headers.RetryAfter = "1";
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = 503,
                        Detail = $"The server is at its limit ({server.Value.MaxConcurrentRequests} requests running, {server.Value.QueueLimit} waiting); retry after the Retry-After delay.",
                    },
                }).ConfigureAwait(false);
            };
        });

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use((context, next) =>
        {
            context.Response.Headers["X-Request-Id"] = context.TraceIdentifier;
            return next(context);
        });
        app.UseMiddleware<ShutdownGateMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseRouting();
        app.UseHttpMetrics();
        app.UseRateLimiter();

        var v1 = app.MapGroup("/v1").RequireRateLimiting(RateLimitPolicy);
        DetectEndpoints.Map(v1);
        ClipEndpoints.Map(v1);
        InfoEndpoints.Map(v1);
        CameraEndpoints.Map(v1);
        app.MapGrpcService<OpenVocabGrpcService>().RequireRateLimiting(RateLimitPolicy);
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        app.MapMetrics("/metrics");
        app.MapOpenApi();
        WebPage.Map(app);
        return app;
    }

    /// <summary>Runs the server until SIGTERM or Ctrl+C, then lets running requests finish. Returns the exit code.</summary>
    /// <param name="args">Command-line configuration.</param>
    /// <param name="error">Where a configuration error is reported.</param>
    /// <param name="cameras">What <c>/v1/cameras</c> controls; see <see cref="Build"/>.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter error, ICameraControl? cameras = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            var app = Build(args, cameras);
            await using (app.ConfigureAwait(false))
            {
                await app.RunAsync().ConfigureAwait(false);
            }

            return 0;
        }
        catch (OptionsValidationException e)
        {
            await error.WriteLineAsync($"error: {string.Join(" ", e.Failures)}").ConfigureAwait(false);
            return 1;
        }
        catch (OpenVocab.Cameras.Configuration.CamerasConfigException e)
        {
            await error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
        {
            await error.WriteLineAsync($"error: cannot listen: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private const string RateLimitPolicy = "api";

    private static void Listen(KestrelServerOptions kestrel, string key, string url, HttpProtocols protocols, Action<ListenOptions> bound)
    {
        if (!ServerOptionsValidator.TryParseListen(url, out var address, out var port, out var error))
        {
            throw new OptionsValidationException(ServerOptions.Section, typeof(ServerOptions), [$"{key} '{url}' {error}"]);
        }

        kestrel.Listen(address, port, o =>
        {
            o.Protocols = protocols;
            bound(o);
        });
    }
}
