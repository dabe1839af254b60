using OpenVocab.Cli.Models;
using OpenVocab.Inference;
using OpenVocab.Tests.Inference;
using OpenVocab.Text;

namespace OpenVocab.Tests.Cli.Models;

/// <summary>
/// Pulling a repository into the cache from a hub on loopback (<see cref="LoopbackHub"/>) serving the tiny Hugging
/// Face CLIP fixture; no test touches the internet.
/// </summary>
public sealed class ModelCacheTests : IDisposable
{
    private const string Repo = "Xenova/tiny-clip";
    private readonly TempDir _cache = new();
    private readonly LoopbackHub _hub = new(Repo, Path.Combine(HuggingFaceClipFolderTests.Fixture, "xenova"));

    public void Dispose()
    {
        _hub.Dispose();
        _cache.Dispose();
    }

    [Fact]
    public async Task Pull_follows_the_tree_pages_and_redirects_and_the_snapshot_loads()
    {
        string snapshot = await Cache().PullAsync(Repo, null, false, null, CancellationToken.None);

        Assert.EndsWith(LoopbackHub.Commit, snapshot, StringComparison.Ordinal);
        foreach (string file in new[] { "onnx/text_model.onnx", "onnx/vision_model.onnx", "tokenizer.json", "preprocessor_config.json", "config.json" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(HuggingFaceClipFolderTests.Fixture, "xenova", file)), File.ReadAllBytes(Path.Combine(snapshot, file)));
        }

        // One variant only: the quantized graphs stay on the hub.
        Assert.False(File.Exists(Path.Combine(snapshot, "onnx", "text_model_quantized.onnx")));
        Assert.True(_hub.Requests.Count(r => r.PathAndQuery.Contains("/tree/", StringComparison.Ordinal)) > 1, "the tree listing should have been paged");
        Assert.Contains(_hub.Requests, r => r.PathAndQuery.StartsWith("/cdn/", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFiles(snapshot, "*.incomplete", SearchOption.AllDirectories));

        using var text = TextEncoder.Load(ModelPack.Load(snapshot));
        Assert.Equal(32, text.Encode("a red circle").Length);
    }

    [Fact]
    public async Task Quantized_variant_pulls_only_its_graphs()
    {
        string snapshot = await Cache().PullAsync(Repo, "quantized", false, null, CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(snapshot, "onnx", "text_model_quantized.onnx")));
        Assert.False(File.Exists(Path.Combine(snapshot, "onnx", "text_model.onnx")));
        var pack = ModelPack.Load(snapshot, new ModelPackOptions { HuggingFace = new HuggingFaceClipOptions { Variant = "quantized" } });
        Assert.Equal("onnx/vision_model_quantized.onnx", pack.Manifest.ImageEncoder!.Onnx);
    }

    [Fact]
    public async Task Interrupted_transfer_is_resumed_with_a_range_request()
    {
        _hub.Interrupt("onnx/vision_model.onnx");
        long reportedMax = 0;
        string snapshot = await Cache().PullAsync(Repo, null, false, (done, _) => reportedMax = Math.Max(reportedMax, done), CancellationToken.None);

        byte[] expected = File.ReadAllBytes(Path.Combine(HuggingFaceClipFolderTests.Fixture, "xenova", "onnx", "vision_model.onnx"));
        Assert.Equal(expected, File.ReadAllBytes(Path.Combine(snapshot, "onnx", "vision_model.onnx")));
        var ranged = _hub.Requests.Where(r => r.PathAndQuery.EndsWith("vision_model.onnx", StringComparison.Ordinal) && r.Range is not null).ToArray();
        Assert.NotEmpty(ranged);
        long resumedFrom = long.Parse(ranged[0].Range!["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resumedFrom, 1, expected.Length - 1);
        Assert.True(reportedMax > 0);
    }

    [Fact]
    public async Task Wrong_checksum_is_refused_and_leaves_no_file()
    {
        _hub.WrongChecksum.Add("onnx/text_model.onnx");
        var cache = Cache();
        var e = await Assert.ThrowsAsync<HubException>(() => cache.PullAsync(Repo, null, false, null, CancellationToken.None));
        Assert.Contains("onnx/text_model.onnx", e.Message, StringComparison.Ordinal);
        Assert.Contains("SHA-256", e.Message, StringComparison.Ordinal);
        string snapshot = Path.Combine(cache.RepoFolder(Repo), "snapshots", LoopbackHub.Commit);
        Assert.False(File.Exists(Path.Combine(snapshot, "onnx", "text_model.onnx")));
        Assert.False(File.Exists(Path.Combine(snapshot, "onnx", "text_model.onnx.incomplete")));
        Assert.Null(cache.FindLocal(Repo, "main"));
    }

    [Fact]
    public async Task Unknown_repository_is_a_404_naming_it()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => Cache().PullAsync("Xenova/no-such-model", null, false, null, CancellationToken.None));
        Assert.Contains("Xenova/no-such-model", e.Message, StringComparison.Ordinal);
        Assert.Contains("404", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gated_repository_needs_the_token()
    {
        _hub.RequiredToken = "hf_test_token";
        var e = await Assert.ThrowsAsync<HubException>(() => Cache().PullAsync(Repo, null, false, null, CancellationToken.None));
        Assert.Contains("401", e.Message, StringComparison.Ordinal);
        Assert.Contains("HF_TOKEN", e.Message, StringComparison.Ordinal);

        string snapshot = await Cache(token: "hf_test_token").PullAsync(Repo, null, false, null, CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(snapshot, "onnx", "text_model.onnx")));
    }

    [Fact]
    public async Task Offline_mode_uses_only_the_cache()
    {
        var offline = Cache(offline: true);
        var e = await Assert.ThrowsAsync<HubException>(() => offline.ResolveAsync(Repo, null, CancellationToken.None));
        Assert.Contains("OPENVOCAB_OFFLINE", e.Message, StringComparison.Ordinal);
        Assert.Empty(_hub.Requests);

        string pulled = await Cache().ResolveAsync(Repo, null, CancellationToken.None);
        int requests = _hub.Requests.Count;
        Assert.Equal(pulled, await offline.ResolveAsync(Repo + "@main", null, CancellationToken.None));
        Assert.Equal(requests, _hub.Requests.Count);
        Assert.Single(offline.List());
    }

    [Theory]
    [InlineData("Xenova/clip-vit-base-patch32", "Xenova/clip-vit-base-patch32", "main")]
    [InlineData("openai/clip-vit-large-patch14@v1.0", "openai/clip-vit-large-patch14", "v1.0")]
    public void Spec_is_repository_and_revision(string spec, string repo, string revision) =>
        Assert.Equal((repo, revision), ModelCache.ParseSpec(spec));

    [Theory]
    [InlineData("clip")]
    [InlineData("a/b/c")]
    [InlineData("../x")]
    [InlineData("owner/name@")]
    public void Malformed_spec_is_refused(string spec) => Assert.Throws<ArgumentException>(() => ModelCache.ParseSpec(spec));

    private ModelCache Cache(string? token = null, bool offline = false) => new(_cache.Path, _hub.Endpoint, token, offline);
}
