using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace OpenVocab.Tests.Cli.Models;

/// <summary>
/// A Hugging Face hub on a free loopback port, serving one repository from a folder in the hub's URL layout:
/// <c>/api/models/{repo}/revision/{rev}</c>, <c>/api/models/{repo}/tree/{commit}?recursive=true</c> (paged by a
/// <c>Link</c> header, two entries a page), and <c>/{repo}/resolve/{commit}/{path}</c>, which redirects (302) to
/// <c>/cdn/...</c> where the bytes are served with Range support. .onnx files are listed as LFS files (size and
/// SHA-256), others with their git blob id. Faults can be switched on per file. Stopped in Dispose.
/// </summary>
internal sealed class LoopbackHub : IDisposable
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private const int PageSize = 2;

    private readonly HttpListener _listener;
    private readonly string _repo;
    private readonly string _folder;
    private readonly Task _loop;
    private readonly ConcurrentDictionary<string, int> _interruptions = new(StringComparer.Ordinal);

    public LoopbackHub(string repo, string folder)
    {
        _repo = repo;
        _folder = folder;
        (_listener, Endpoint) = Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri Endpoint { get; }

    /// <summary>When set, every request must carry <c>Authorization: Bearer {token}</c> or gets 401.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>Files whose listed SHA-256 is wrong (the bytes served are right).</summary>
    public HashSet<string> WrongChecksum { get; } = new(StringComparer.Ordinal);

    /// <summary>Every request: method, path and query, Range header.</summary>
    public ConcurrentQueue<(string PathAndQuery, string? Range)> Requests { get; } = new();

    /// <summary>The next <paramref name="times"/> transfers of <paramref name="path"/> stop after half the bytes (connection aborted).</summary>
    public void Interrupt(string path, int times = 1) => _interruptions[path] = times;

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends with the listener's disposal exception.
        }
    }

    private static (HttpListener, Uri) Start()
    {
        for (int attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return (listener, new Uri($"http://127.0.0.1:{port}/"));
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => Handle(context));
        }
    }

    private void Handle(HttpListenerContext context)
    {
        HttpListenerRequest request = context.Request;
        HttpListenerResponse response = context.Response;
        string path = Uri.UnescapeDataString(request.Url!.AbsolutePath);
        Requests.Enqueue((request.Url.PathAndQuery, request.Headers["Range"]));
        try
        {
            if (RequiredToken is not null && request.Headers["Authorization"] != "Bearer " + RequiredToken && !path.StartsWith("/cdn/", StringComparison.Ordinal))
            {
                Reply(response, 401, """{"error":"Access to this repository is restricted."}""");
                return;
            }

            string api = $"/api/models/{_repo}/";
            if (path.StartsWith(api + "revision/", StringComparison.Ordinal))
            {
                Reply(response, 200, JsonSerializer.Serialize(new { id = _repo, sha = Commit }));
            }
            else if (path == api + "tree/" + Commit)
            {
                Tree(request, response);
            }
            else if (path.StartsWith($"/{_repo}/resolve/{Commit}/", StringComparison.Ordinal))
            {
                string file = path[$"/{_repo}/resolve/{Commit}/".Length..];
                response.StatusCode = 302;
                response.RedirectLocation = $"/cdn/{Commit}/{file}";
                response.Close();
            }
            else if (path.StartsWith($"/cdn/{Commit}/", StringComparison.Ordinal))
            {
                Serve(path[$"/cdn/{Commit}/".Length..], request, response);
            }
            else
            {
                Reply(response, 404, """{"error":"Repository not found"}""");
            }
        }
        catch (HttpListenerException)
        {
            // The client went away.
        }
    }

    private void Tree(HttpListenerRequest request, HttpListenerResponse response)
    {
        string[] files = [.. Directory.EnumerateFiles(_folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(_folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];
        int cursor = int.TryParse(request.QueryString["cursor"], out int c) ? c : 0;
        var page = files.Skip(cursor).Take(PageSize).Select(Entry).ToArray();
        if (cursor + PageSize < files.Length)
        {
            response.AddHeader("Link", $"<{Endpoint}api/models/{_repo}/tree/{Commit}?recursive=true&cursor={cursor + PageSize}>; rel=\"next\"");
        }

        Reply(response, 200, JsonSerializer.Serialize(page));
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "git blob ids are SHA-1 by definition; no security depends on them here.")]
    private object Entry(string relative)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(_folder, relative));
        if (relative.EndsWith(".onnx", StringComparison.Ordinal))
        {
            string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (WrongChecksum.Contains(relative))
            {
                sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("something else")));
            }

            return new { type = "file", path = relative, size = bytes.Length, oid = "ffffffffffffffffffffffffffffffffffffffff", lfs = new { oid = sha, size = bytes.Length, pointerSize = 134 } };
        }

        byte[] blob = [.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes];
        return new { type = "file", path = relative, size = bytes.Length, oid = Convert.ToHexStringLower(SHA1.HashData(blob)) };
    }

    private void Serve(string relative, HttpListenerRequest request, HttpListenerResponse response)
    {
        string file = Path.Combine(_folder, relative);
        if (!File.Exists(file))
        {
            Reply(response, 404, "Entry not found");
            return;
        }

        byte[] bytes = File.ReadAllBytes(file);
        long from = 0;
        if (request.Headers["Range"] is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            from = long.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
            response.StatusCode = 206;
            response.AddHeader("Content-Range", $"bytes {from}-{bytes.Length - 1}/{bytes.Length}");
        }

        response.ContentLength64 = bytes.Length - from;
        bool interrupt = _interruptions.TryGetValue(relative, out int left) && left > 0 && _interruptions.TryUpdate(relative, left - 1, left);
        if (interrupt)
        {
            int half = (int)((bytes.Length - from) / 2);
            response.OutputStream.Write(bytes, (int)from, half);
            response.OutputStream.Flush();
            response.Abort();
            return;
        }

        response.OutputStream.Write(bytes, (int)from, (int)(bytes.Length - from));
        response.Close();
    }

    private static void Reply(HttpListenerResponse response, int status, string body)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
        response.Close();
    }
}
