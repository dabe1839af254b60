using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace OpenVocab.Server.Hosting;

/// <summary>
/// When <see cref="ServerOptions.ApiKey"/> is set, every request except health and the page's static files must carry
/// it in <c>X-Api-Key</c> or <c>Authorization: Bearer</c>. The comparison takes the same time whatever the key sent
/// (fixed-length hashes, compared in constant time), so the key cannot be guessed byte by byte from timings.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<ServerOptions> options, ServerMetrics metrics, IProblemDetailsService problems)
{
    public const string Header = "X-Api-Key";

    private readonly byte[]? _expected = options.Value.ApiKey is { Length: > 0 } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : null;

    public async Task InvokeAsync(HttpContext context)
    {
        if (_expected is null || IsOpen(context.Request.Path) || Matches(Presented(context.Request)))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        metrics.Rejected("unauthorized");
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = $"ApiKey header=\"{Header}\"";
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            context.Response.ContentType = "application/grpc";
            context.Response.AppendTrailer("grpc-status", "16"); // UNAUTHENTICATED
            context.Response.AppendTrailer("grpc-message", "A valid API key is required in x-api-key.");
            return;
        }

        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = 401,
                Detail = $"A valid API key is required in the {Header} header (or Authorization: Bearer).",
                Extensions = { ["field"] = Header },
            },
        }).ConfigureAwait(false);
    }

    /// <summary>Health probes and the page's own files need no key (the page asks the user for one).</summary>
    private static bool IsOpen(PathString path) =>
        path == "/healthz" || path == "/readyz" || path == "/" || path == "/index.html" || path == "/app.js" || path == "/app.css";

    private static string? Presented(HttpRequest request)
    {
        if (request.Headers.TryGetValue(Header, out var key) && key.Count > 0)
        {
            return key[0];
        }

        var auth = request.Headers.Authorization.ToString();
        return auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null;
    }

    private bool Matches(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expected);
}
