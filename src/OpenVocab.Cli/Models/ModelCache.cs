using System.Globalization;
using System.Text.Json;

namespace OpenVocab.Cli.Models;

/// <summary>A pulled repository in the cache.</summary>
internal sealed record CachedModel(string Repo, string Commit, IReadOnlyList<string> Revisions, string Folder, long Bytes, int Files);

/// <summary>
/// The local cache of model repositories pulled from a Hugging Face hub:
/// <c>{root}/hub/{owner}--{name}/snapshots/{commit}/…</c> holds the files as the repository lays them out (so the
/// folder loads with <c>ModelPack.Load</c>), <c>refs/{revision}</c> the commit a branch or tag pointed to when pulled.
/// A snapshot counts as present once its <c>.openvocab-pull.json</c> is written, after every file is in place.
/// </summary>
/// <remarks>
/// Environment: <c>OPENVOCAB_CACHE</c> (root; default <c>$XDG_CACHE_HOME/openvocab</c> or <c>~/.cache/openvocab</c>),
/// <c>HF_ENDPOINT</c> (hub base URL; default https://huggingface.co), <c>HF_TOKEN</c> (for gated or private
/// repositories), <c>OPENVOCAB_OFFLINE=1</c> (never touch the network; use what is cached).
/// </remarks>
internal sealed class ModelCache
{
    public const string DefaultEndpoint = "https://huggingface.co";
    public const string MarkerFile = ".openvocab-pull.json";

    private readonly HttpMessageHandler? _handler;

    public ModelCache(string root, Uri endpoint, string? token, bool offline, HttpMessageHandler? handler = null)
    {
        Root = Path.GetFullPath(root);
        Endpoint = endpoint;
        Token = token;
        Offline = offline;
        _handler = handler;
    }

    public string Root { get; }

    public Uri Endpoint { get; }

    public string? Token { get; }

    public bool Offline { get; }

    /// <summary>The cache as the environment configures it.</summary>
    public static ModelCache FromEnvironment()
    {
        string? root = Environment.GetEnvironmentVariable("OPENVOCAB_CACHE");
        if (string.IsNullOrWhiteSpace(root))
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            root = Path.Combine(string.IsNullOrWhiteSpace(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg, "openvocab");
        }

        string endpoint = Environment.GetEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } e ? e : DefaultEndpoint;
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new HubException($"HF_ENDPOINT is '{endpoint}': expected an http(s) base URL such as {DefaultEndpoint}.");
        }

        string offline = Environment.GetEnvironmentVariable("OPENVOCAB_OFFLINE") ?? "";
        return new ModelCache(root, uri, Environment.GetEnvironmentVariable("HF_TOKEN"), offline is "1" or "true" or "yes", null);
    }

    /// <summary>Splits <c>owner/name[@revision]</c>; the revision defaults to <c>main</c>.</summary>
    public static (string Repo, string Revision) ParseSpec(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        int at = spec.IndexOf('@', StringComparison.Ordinal);
        string repo = at < 0 ? spec : spec[..at];
        string revision = at < 0 ? "main" : spec[(at + 1)..];
        string[] parts = repo.Split('/');
        if (parts.Length != 2 || parts.Any(p => p.Length == 0 || p is "." or ".." || p.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))) || revision.Length == 0)
        {
            throw new ArgumentException($"'{spec}' is not a hub repository: expected OWNER/NAME or OWNER/NAME@REVISION (e.g. Xenova/clip-vit-base-patch32@main).", nameof(spec));
        }

        return (repo, revision);
    }

    /// <summary>Which files a pull takes: configs and tokenizer files, and the ONNX graphs of one variant (all files with <paramref name="all"/>).</summary>
    public static bool Wanted(string path, string? variant, bool all)
    {
        if (all)
        {
            return true;
        }

        string name = Path.GetFileName(path);
        int onnx = name.IndexOf(".onnx", StringComparison.Ordinal);
        if (onnx > 0)
        {
            // External weights sit beside their graph as NAME.onnx_data or NAME.onnx.data.
            string stem = name[..onnx];
            string suffix = variant is null ? "" : "_" + variant;
            return stem == "text_model" + suffix || stem == "vision_model" + suffix || stem == "model" + suffix;
        }

        return Path.GetExtension(name) is ".json" or ".txt" or ".md" || name == "LICENSE";
    }

    public string RepoFolder(string repo) => Path.Combine(Root, "hub", repo.Replace("/", "--", StringComparison.Ordinal));

    /// <summary>The snapshot folder of a repository at a revision, when it was pulled completely; else null.</summary>
    public string? FindLocal(string repo, string revision)
    {
        string folder = RepoFolder(repo);
        string refFile = Path.Combine(folder, "refs", Uri.EscapeDataString(revision));
        string commit = File.Exists(refFile) ? File.ReadAllText(refFile).Trim() : revision;
        string snapshot = Path.Combine(folder, "snapshots", commit);
        return File.Exists(Path.Combine(snapshot, MarkerFile)) ? snapshot : null;
    }

    /// <summary>
    /// The local folder for <c>hf:</c> specs: the cached snapshot, pulled first when missing (unless offline).
    /// </summary>
    public async Task<string> ResolveAsync(string spec, Action<long, long>? progress, CancellationToken cancellationToken)
    {
        var (repo, revision) = ParseSpec(spec);
        if (FindLocal(repo, revision) is { } local)
        {
            return local;
        }

        if (Offline)
        {
            throw new HubException($"{repo}@{revision} is not in the cache ({RepoFolder(repo)}) and OPENVOCAB_OFFLINE is set: run 'openvocab models pull {repo}@{revision}' while online.");
        }

        return await PullAsync(spec, null, false, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Downloads the wanted files of a repository revision into the cache; returns the snapshot folder.
    /// <paramref name="progress"/> receives (bytes done, bytes in all) across the files.
    /// </summary>
    public async Task<string> PullAsync(string spec, string? variant, bool all, Action<long, long>? progress, CancellationToken cancellationToken)
    {
        var (repo, revision) = ParseSpec(spec);
        if (Offline)
        {
            throw new HubException($"OPENVOCAB_OFFLINE is set, so {repo}@{revision} cannot be pulled; unset it to download.");
        }

        using var client = new HubClient(Endpoint, Token, _handler);
        string commit = await client.ResolveCommitAsync(repo, revision, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<HubFile> listing = await client.ListFilesAsync(repo, commit, cancellationToken).ConfigureAwait(false);
        HubFile[] files = [.. listing.Where(f => Wanted(f.Path, variant, all))];
        if (!files.Any(f => f.Path.EndsWith(".onnx", StringComparison.Ordinal)))
        {
            string onnx = string.Join(", ", listing.Where(f => f.Path.EndsWith(".onnx", StringComparison.Ordinal)).Select(f => f.Path));
            throw new HubException($"{repo}@{revision} has no ONNX graphs{(variant is null ? "" : $" of variant '{variant}'")} to pull (its .onnx files: {(onnx.Length == 0 ? "none" : onnx)}). Only ONNX exports load; use --all to download everything anyway.");
        }

        string folder = RepoFolder(repo);
        string snapshot = Path.Combine(folder, "snapshots", commit);
        long total = files.Sum(f => Math.Max(0, f.Size));
        long before = 0;
        foreach (HubFile file in files)
        {
            string destination = Path.GetFullPath(Path.Combine(snapshot, file.Path));
            if (!destination.StartsWith(snapshot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new HubException($"{repo} lists a file '{file.Path}' that would land outside its cache folder; refused.");
            }

            if (!File.Exists(destination) || (file.Size >= 0 && new FileInfo(destination).Length != file.Size))
            {
                long start = before;
                await client.DownloadAsync(repo, commit, file, destination, done => progress?.Invoke(start + done, total), cancellationToken).ConfigureAwait(false);
            }

            before += Math.Max(0, file.Size);
            progress?.Invoke(before, total);
        }

        Directory.CreateDirectory(Path.Combine(folder, "refs"));
        await File.WriteAllTextAsync(Path.Combine(folder, "refs", Uri.EscapeDataString(revision)), commit, cancellationToken).ConfigureAwait(false);
        string marker = JsonSerializer.Serialize(new { repo, revision, commit, endpoint = Endpoint.AbsoluteUri, files = files.Select(f => f.Path), pulled = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) });
        await File.WriteAllTextAsync(Path.Combine(snapshot, MarkerFile), marker, cancellationToken).ConfigureAwait(false);
        return snapshot;
    }

    /// <summary>Every complete snapshot in the cache.</summary>
    public IReadOnlyList<CachedModel> List()
    {
        string hub = Path.Combine(Root, "hub");
        if (!Directory.Exists(hub))
        {
            return [];
        }

        var result = new List<CachedModel>();
        foreach (string repoFolder in Directory.EnumerateDirectories(hub).Order(StringComparer.Ordinal))
        {
            string repo = Path.GetFileName(repoFolder).Replace("--", "/", StringComparison.Ordinal);
            string refs = Path.Combine(repoFolder, "refs");
            var byCommit = Directory.Exists(refs)
                ? Directory.EnumerateFiles(refs).GroupBy(f => File.ReadAllText(f).Trim()).ToDictionary(g => g.Key, g => g.Select(f => Uri.UnescapeDataString(Path.GetFileName(f))).ToArray())
                : [];
            string snapshots = Path.Combine(repoFolder, "snapshots");
            if (!Directory.Exists(snapshots))
            {
                continue;
            }

            foreach (string snapshot in Directory.EnumerateDirectories(snapshots).Where(s => File.Exists(Path.Combine(s, MarkerFile))))
            {
                FileInfo[] files = [.. new DirectoryInfo(snapshot).EnumerateFiles("*", SearchOption.AllDirectories).Where(f => f.Name != MarkerFile)];
                string commit = Path.GetFileName(snapshot);
                result.Add(new CachedModel(repo, commit, byCommit.TryGetValue(commit, out string[]? revs) ? revs : [], snapshot, files.Sum(f => f.Length), files.Length));
            }
        }

        return result;
    }
}
