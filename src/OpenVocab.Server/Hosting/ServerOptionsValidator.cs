using System.Net;
using Microsoft.Extensions.Options;
using OpenVocab.Inference;

namespace OpenVocab.Server.Hosting;

/// <summary>Checks what the data annotations cannot: addresses, the provider name, that the files exist.</summary>
internal sealed class ServerOptionsValidator : IValidateOptions<ServerOptions>
{
    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Model))
        {
            errors.Add("Server:Model is not set: give the model pack folder (openvocab serve --model DIR).");
        }
        else if (!Directory.Exists(options.Model) && !File.Exists(options.Model))
        {
            errors.Add($"Server:Model '{options.Model}' does not exist: expected a model pack folder, its openvocab.json or a detector .onnx.");
        }

        if (options.Index is { Length: > 0 } index && !File.Exists(index))
        {
            errors.Add($"Server:Index '{index}' does not exist: expected an index file made by 'openvocab index'.");
        }

        if (!Enum.TryParse<ExecutionProvider>(options.Device, ignoreCase: true, out _))
        {
            errors.Add($"Server:Device '{options.Device}' is not a provider; expected one of {string.Join(", ", Enum.GetNames<ExecutionProvider>())}.");
        }

        Check(errors, "Server:Url", options.Url);
        if (!string.IsNullOrWhiteSpace(options.GrpcUrl))
        {
            Check(errors, "Server:GrpcUrl", options.GrpcUrl);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(List<string> errors, string key, string url)
    {
        if (!TryParseListen(url, out _, out _, out var error))
        {
            errors.Add($"{key} '{url}' {error}");
        }
    }

    /// <summary>Reads <c>http://HOST:PORT</c>: HOST an IP address, <c>localhost</c>, or <c>*</c> / <c>0.0.0.0</c> for every interface.</summary>
    public static bool TryParseListen(string url, out IPAddress address, out int port, out string error)
    {
        address = IPAddress.Loopback;
        port = 0;
        error = "";
        var text = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/")
        {
            error = "is not an address to listen on; expected http://HOST:PORT, e.g. http://127.0.0.1:5090 (TLS belongs to a reverse proxy in front).";
            return false;
        }

        port = uri.Port;
        if (uri.IsLoopback && uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed))
        {
            error = "has a host name; expected an IP address (127.0.0.1, ::1, 0.0.0.0) or localhost.";
            return false;
        }

        address = parsed;
        return true;
    }
}
