using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace OpenVocab.Server;

/// <summary>
/// The addresses the server listens on, known once it has started (port 0 is resolved by then). A singleton in the
/// server's services; nothing to dispose; safe to read from any thread once the server has started.
/// </summary>
public sealed class ServerEndpoints
{
    internal ListenOptions? RestListen { get; set; }

    internal ListenOptions? GrpcListen { get; set; }

    /// <summary>REST, the page, health and metrics.</summary>
    public Uri Rest => ToUri(RestListen) ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>gRPC (cleartext HTTP/2), or null when turned off.</summary>
    public Uri? Grpc => ToUri(GrpcListen);

    private static Uri? ToUri(ListenOptions? listen) => listen?.IPEndPoint is { } ip
        ? new Uri($"http://{(ip.Address.Equals(IPAddress.Any) ? "127.0.0.1" : ip.Address.ToString())}:{ip.Port}")
        : null;
}
