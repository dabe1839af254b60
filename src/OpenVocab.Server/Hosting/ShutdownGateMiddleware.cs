using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Hosting;

namespace OpenVocab.Server.Hosting;

/// <summary>
/// Once shutdown has begun, requests that still arrive on open connections get 503 and <c>Connection: close</c>
/// while the ones already running finish (Kestrel stops accepting new connections by itself).
/// </summary>
internal sealed class ShutdownGateMiddleware(RequestDelegate next, IHostApplicationLifetime lifetime, ServerMetrics metrics, IProblemDetailsService problems)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        metrics.Rejected("shutting_down");
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.Connection = "close";
        context.Response.Headers.RetryAfter = "5";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = 503, Detail = "The server is shutting down; send the request to another instance or retry later." },
        }).ConfigureAwait(false);
    }
}
