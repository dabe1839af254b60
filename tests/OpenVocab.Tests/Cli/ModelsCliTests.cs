using OpenVocab.Tests.Cli.Models;
using OpenVocab.Tests.Inference;

namespace OpenVocab.Tests.Cli;

/// <summary><c>openvocab models</c> and <c>--model hf:REPO</c> as users run them, against a hub on loopback.</summary>
public sealed class ModelsCliTests : IDisposable
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
    public void Pull_then_list_then_use_offline_through_hf_prefix()
    {
        var env = new Dictionary<string, string> { ["HF_ENDPOINT"] = _hub.Endpoint.AbsoluteUri, ["OPENVOCAB_CACHE"] = _cache.Path };
        var (code, stdout, stderr) = CliProcess.RunWithEnvironment(env, "models", "pull", Repo);
        Assert.True(code == 0, stderr);
        Assert.EndsWith(LoopbackHub.Commit, stdout.Trim(), StringComparison.Ordinal);
        // stderr is redirected here, so progress comes as plain lines (the last one with the total), not a redrawn bar.
        Assert.Contains($"pull {Repo}:", stderr, StringComparison.Ordinal);
        Assert.Contains("(100%)", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", stderr, StringComparison.Ordinal);

        (code, stdout, stderr) = CliProcess.RunWithEnvironment(env, "models", "list");
        Assert.True(code == 0, stderr);
        Assert.Contains($"hf:{Repo}@{LoopbackHub.Commit[..12]} (main)", stdout, StringComparison.Ordinal);
        Assert.Contains("shapesworld", stdout, StringComparison.Ordinal);

        var offline = new Dictionary<string, string>(env) { ["OPENVOCAB_OFFLINE"] = "1" };
        int before = _hub.Requests.Count;
        (code, stdout, stderr) = CliProcess.RunWithEnvironment(offline, "info", "--model", "hf:" + Repo);
        Assert.True(code == 0, stderr);
        Assert.Contains("Hugging Face folder", stdout, StringComparison.Ordinal);
        Assert.Contains("inferred:  tokenizer: tokenizer.json", stdout, StringComparison.Ordinal);
        Assert.Contains("inferred:  preprocessing: preprocessor_config.json", stdout, StringComparison.Ordinal);

        (code, stdout, stderr) = CliProcess.RunWithEnvironment(offline, "classify", Path.Combine(TestPaths.Samples, "shapes_1.jpg"), "--model", "hf:" + Repo, "--labels", "red circle", "green square", "--json");
        Assert.True(code == 0, stderr);
        Assert.Contains("red circle", stdout, StringComparison.Ordinal);
        Assert.Equal(before, _hub.Requests.Count);
    }

    [Fact]
    public void Offline_without_cache_says_how_to_get_the_model()
    {
        var env = new Dictionary<string, string> { ["HF_ENDPOINT"] = _hub.Endpoint.AbsoluteUri, ["OPENVOCAB_CACHE"] = _cache.Path, ["OPENVOCAB_OFFLINE"] = "1" };
        var (code, _, stderr) = CliProcess.RunWithEnvironment(env, "info", "--model", "hf:" + Repo);
        Assert.Equal(1, code);
        Assert.Contains($"openvocab models pull {Repo}@main", stderr, StringComparison.Ordinal);
        Assert.Empty(_hub.Requests);
    }

    [Fact]
    public void Export_with_a_python_lacking_the_packages_names_what_it_needs()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = CliProcess.Run("models", "export", "yolo-world", "--weights", "yolov8s-worldv2.pt", "--out", dir.Path, "--python", "/usr/bin/python3");
        Assert.Equal(1, code);
        Assert.Contains("cannot run the YOLO-World export", stderr, StringComparison.Ordinal);
        Assert.Contains("pip install ultralytics", stderr, StringComparison.Ordinal);
    }
}
