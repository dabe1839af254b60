using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace OpenVocab.Cli.Models;

/// <summary>One file of a hub repository, as the tree API lists it.</summary>
/// <param name="Path">Path inside the repository, '/'-separated.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Sha256">SHA-256 (lower-case hex) for files stored in LFS, from the listing's <c>lfs.oid</c>; else null.</param>
/// <param name="GitOid">The git blob id (SHA-1 of "blob SIZE\0" + content) for files stored in git; else null.</param>
internal sealed record HubFile(string Path, long Size, string? Sha256, string? GitOid);

/// <summary>
/// Talks to a Hugging Face hub (or anything serving its URL layout): <c>/api/models/{repo}/revision/{rev}</c> for the
/// commit, <c>/api/models/{repo}/tree/{commit}?recursive=true</c> for the files (following <c>Link: rel="next"</c>
/// pages), and <c>/{repo}/resolve/{commit}/{path}</c> for the bytes (redirects followed; the token is not sent to
/// another host). Downloads resume with <c>Range</c>, are checked against the listing's size and hash, and are moved
/// into place only when whole. Thread-safe for concurrent calls.
/// </summary>
internal sealed class HubClient : IDisposable
{
    /// <summary>Attempts per file: the first plus resumptions after a dropped connection.</summary>
    public const int MaxAttempts = 4;

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly string? _token;

    public HubClient(Uri endpoint, string? token, HttpMessageHandler? handler = null)
    {
        _endpoint = endpoint.AbsoluteUri.EndsWith('/') ? endpoint : new Uri(endpoint.AbsoluteUri + "/");
        _token = string.IsNullOrWhiteSpace(token) ? null : token;
        // Redirects are followed by the handler, which drops the Authorization header when the host changes.
        _http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = true, MaxAutomaticRedirections = 10, ConnectTimeout = TimeSpan.FromSeconds(30) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("openvocab/1.0");
    }

    /// <summary>Resolves a revision (branch, tag or commit) to its commit id.</summary>
    public async Task<string> ResolveCommitAsync(string repo, string revision, CancellationToken cancellationToken)
    {
        using var document = await GetJsonAsync(new Uri(_endpoint, $"api/models/{repo}/revision/{Uri.EscapeDataString(revision)}"), repo, revision, cancellationToken).ConfigureAwait(false);
        return document.RootElement.TryGetProperty("sha", out JsonElement sha) && sha.ValueKind == JsonValueKind.String && sha.GetString() is { Length: > 0 } s
            ? s
            : throw new HubException($"The hub's answer for {repo}@{revision} has no commit \"sha\".");
    }

    /// <summary>Lists every file of the repository at a commit.</summary>
    public async Task<IReadOnlyList<HubFile>> ListFilesAsync(string repo, string commit, CancellationToken cancellationToken)
    {
        var files = new List<HubFile>();
        Uri? next = new(_endpoint, $"api/models/{repo}/tree/{Uri.EscapeDataString(commit)}?recursive=true");
        while (next is not null)
        {
            using HttpResponseMessage response = await SendAsync(next, null, repo, commit, cancellationToken).ConfigureAwait(false);
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new HubException($"The hub's file list for {repo}@{commit} is not a JSON array.");
            }

            foreach (JsonElement entry in document.RootElement.EnumerateArray())
            {
                if (entry.TryGetProperty("type", out JsonElement type) && type.GetString() != "file")
                {
                    continue;
                }

                string path = entry.GetProperty("path").GetString()!;
                long size = entry.TryGetProperty("size", out JsonElement s) ? s.GetInt64() : -1;
                string? sha256 = null;
                if (entry.TryGetProperty("lfs", out JsonElement lfs) && lfs.ValueKind == JsonValueKind.Object)
                {
                    sha256 = lfs.TryGetProperty("oid", out JsonElement oid) ? oid.GetString()?.ToLowerInvariant() : null;
                    size = lfs.TryGetProperty("size", out JsonElement lfsSize) ? lfsSize.GetInt64() : size;
                }

                string? gitOid = sha256 is null && entry.TryGetProperty("oid", out JsonElement g) ? g.GetString()?.ToLowerInvariant() : null;
                files.Add(new HubFile(path, size, sha256, gitOid));
            }

            next = NextPage(response);
        }

        return files;
    }

    /// <summary>
    /// Downloads one file to <paramref name="destination"/>: into <c>destination.incomplete</c> first (resumed with a
    /// Range request after a dropped connection or from an earlier run), checked, then moved into place.
    /// <paramref name="progress"/> receives the bytes of this file written so far.
    /// </summary>
    /// <exception cref="HubException">Not found, not authorised, or the bytes do not match the listing (the partial file is deleted).</exception>
    public async Task DownloadAsync(string repo, string commit, HubFile file, string destination, Action<long>? progress, CancellationToken cancellationToken)
    {
        string partial = destination + ".incomplete";
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var url = new Uri(_endpoint, $"{repo}/resolve/{Uri.EscapeDataString(commit)}/{string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString))}");
        for (int attempt = 1; ; attempt++)
        {
            long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
            if (file.Size >= 0 && have > file.Size)
            {
                File.Delete(partial);
                have = 0;
            }

            if (file.Size >= 0 && have == file.Size)
            {
                break;
            }

            try
            {
                using HttpResponseMessage response = await SendAsync(url, have > 0 ? new RangeHeaderValue(have, null) : null, repo, commit, cancellationToken, file.Path).ConfigureAwait(false);
                bool append = response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From == have;
                using var target = new FileStream(partial, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
                long written = append ? have : 0;
                progress?.Invoke(written);
                Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await using System.Runtime.CompilerServices.ConfiguredAsyncDisposable bodyScope = body.ConfigureAwait(false);
                byte[] buffer = new byte[1 << 16];
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    written += read;
                    progress?.Invoke(written);
                }

                if (file.Size < 0 || written >= file.Size)
                {
                    break;
                }

                throw new IOException($"the connection closed after {written} of {file.Size} bytes");
            }
            catch (Exception e) when (e is IOException or HttpRequestException && attempt < MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                // Resume from what reached the disk on the next attempt.
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
            }
        }

        Verify(file, partial, repo);
        File.Move(partial, destination, overwrite: true);
    }

    public void Dispose() => _http.Dispose();

    private static void Verify(HubFile file, string partial, string repo)
    {
        long length = new FileInfo(partial).Length;
        string? problem = null;
        if (file.Size >= 0 && length != file.Size)
        {
            problem = $"{length} bytes arrived, the listing says {file.Size}";
        }
        else if (file.Sha256 is { } expected)
        {
            using FileStream stream = File.OpenRead(partial);
            string actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            problem = actual == expected ? null : $"SHA-256 {actual}, the listing's LFS oid is {expected}";
        }
        else if (file.GitOid is { Length: 40 } oid)
        {
            using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            sha1.AppendData(Encoding.ASCII.GetBytes($"blob {length}\0"));
            using FileStream stream = File.OpenRead(partial);
            byte[] buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                sha1.AppendData(buffer, 0, read);
            }

            string actual = Convert.ToHexStringLower(sha1.GetHashAndReset());
            problem = actual == oid ? null : $"git blob id {actual}, the listing says {oid}";
        }

        if (problem is not null)
        {
            File.Delete(partial);
            throw new HubException($"{repo}/{file.Path} was refused: {problem}. The partial file was deleted; pull again (a proxy or mirror may be serving other bytes).");
        }
    }

    private async Task<JsonDocument> GetJsonAsync(Uri url, string repo, string revision, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(url, null, repo, revision, cancellationToken).ConfigureAwait(false);
        try
        {
            return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new HubException($"The hub's answer at {url} is not JSON ({e.Message}).", e);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Uri url, RangeHeaderValue? range, string repo, string revision, CancellationToken cancellationToken, string? path = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (_token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }

        request.Headers.Range = range;
        HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            string what = path is null ? $"{repo}@{revision}" : $"{repo}/{path}@{revision}";
            throw response.StatusCode switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new HubException(_token is null
                    ? $"{what}: the hub answered {(int)response.StatusCode} {response.ReasonPhrase}: the repository is gated or private; set HF_TOKEN to an access token that may read it."
                    : $"{what}: the hub answered {(int)response.StatusCode} {response.ReasonPhrase} with the token from HF_TOKEN: it may not read this repository (accept its terms on the hub, or use another token)."),
                HttpStatusCode.NotFound => new HubException($"{what}: not found on {_endpoint} (404): check the repository name and revision."),
                _ => new HubException($"{what}: the hub answered {(int)response.StatusCode} {response.ReasonPhrase} for {url}."),
            };
        }
    }

    private static Uri? NextPage(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out IEnumerable<string>? links))
        {
            return null;
        }

        foreach (string link in links.SelectMany(l => l.Split(',')))
        {
            string[] parts = link.Split(';');
            if (parts.Length > 1 && parts.Skip(1).Any(p => p.Trim() == "rel=\"next\""))
            {
                string target = parts[0].Trim().TrimStart('<').TrimEnd('>');
                return new Uri(response.RequestMessage!.RequestUri!, target);
            }
        }

        return null;
    }
}
