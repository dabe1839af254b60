using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Server.Hosting;

namespace OpenVocab.Server.Api;

/// <summary>
/// Turns every exception that reaches the pipeline into a problem document: client errors with their 4xx status and
/// the field at fault; anything else is a bug, logged with the request id, answered 500 with that id and no details.
/// </summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ServerMetrics metrics, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            return true; // the client went away: nobody to answer
        }

        var (status, field, detail) = Classify(exception);
        if (status >= 500 && exception is not ModelsNotReadyException)
        {
            LogUnhandled(logger, exception, httpContext.TraceIdentifier, httpContext.Request.Method, httpContext.Request.Path);
        }

        if (exception is ModelsNotReadyException)
        {
            metrics.Rejected("not_ready");
            httpContext.Response.Headers.RetryAfter = "5";
        }
        else if (status == StatusCodes.Status413PayloadTooLarge)
        {
            metrics.Rejected("too_large");
        }

        httpContext.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Detail = detail };
        if (field is not null)
        {
            problem.Extensions["field"] = field;
        }

        if (exception is CamerasConfigException { Errors.Count: > 0 } invalid)
        {
            problem.Extensions["errors"] = invalid.Errors; // each names the camera, the field and what was expected
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception })
            .ConfigureAwait(false);
    }

    /// <summary>Status, field and detail for an exception; the detail of a 500 says nothing about the server's insides.</summary>
    internal static (int Status, string? Field, string Detail) Classify(Exception exception) => exception switch
    {
        ApiProblemException p => (p.Status, p.Field, p.Message),
        BadHttpRequestException b when b.StatusCode == StatusCodes.Status413PayloadTooLarge =>
            (413, "body", $"The request body is larger than the server accepts: {b.Message}"),
        BadHttpRequestException b => (b.StatusCode, "body", $"The request could not be read: {b.Message}"),
        InvalidDataException d => (400, "body", $"The multipart body is malformed: {d.Message}"),
        // Not YAML/JSON at all (the parser's error is kept inside) is malformed; anything else is a definition that parses but is wrong.
        CamerasConfigException c => (c.InnerException is null ? 422 : 400, "body", c.Message),
        ModelsNotReadyException m => (503, null, m.Message),
        OpenVocab.Cameras.Hosting.CameraControlUnavailableException u => (503, null, u.Message),
        _ => (500, null, "An unexpected error occurred on the server; quote the requestId when reporting it."),
    };

    [LoggerMessage(EventId = 500, Level = LogLevel.Error, Message = "Unhandled error in request {RequestId} ({Method} {Path})")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string requestId, string method, string path);
}
