using System.Text.Json;
using OpenVocab.Cli;

namespace OpenVocab.Tests.Cli;

/// <summary>The <c>@FILE</c> rule: one line, one argument (README, "Response files").</summary>
public sealed class ResponseFilesTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Each_line_is_one_argument_and_an_option_line_is_its_name_and_one_value()
    {
        var file = _dir.File("args.txt");
        File.WriteAllLines(file,
        [
            "# prompts, one per line",
            "  red circle  ",
            "",
            "blue square",
            "\"green star\"",
            "--conf 0.3",
            "--classes  purple hexagon",
            "--json",
            "@not-expanded-again",
            "a \"quoted\" word",
        ]);
        Assert.Equal(
            ["detect", "x.jpg", "red circle", "blue square", "green star", "--conf", "0.3", "--classes", "purple hexagon", "--json", "@not-expanded-again", "a \"quoted\" word", "--", "@" + file],
            ResponseFiles.Expand(["detect", "x.jpg", "@" + file, "--", "@" + file]));
        Assert.Equal(["@"], ResponseFiles.Expand(["@"]));
    }

    [Fact]
    public void A_missing_response_file_is_named()
    {
        var missing = _dir.File("missing.txt");
        var e = Assert.Throws<IOException>(() => ResponseFiles.Expand(["@" + missing]));
        Assert.Equal($"response file '{missing}' (from the argument '@{missing}') does not exist.", e.Message);

        var (code, _, stderr) = CliProcess.Run("tokenize", "@" + missing);
        Assert.Equal(1, code);
        Assert.Contains($"response file '{missing}'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_prompt_file_gives_one_prompt_per_line_to_the_tool()
    {
        var prompts = _dir.File("prompts.txt");
        File.WriteAllLines(prompts, ["red circle", "blue square", "", "green star"]);
        var (code, stdout, stderr) = CliProcess.Run("tokenize", "@" + prompts, "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(["red circle", "blue square", "green star"],
            json.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("text").GetString()));

        // Detection with the classes from a file: labels are whole lines. samples/shapes_1.jpg holds both shapes.
        File.WriteAllLines(prompts, ["green square", "purple hexagon"]);
        (code, stdout, stderr) = CliProcess.Run("detect", Path.Combine(TestPaths.Samples, "shapes_1.jpg"), "--json", "--classes", "@" + prompts);
        Assert.True(code == 0, stderr);
        using var detections = JsonDocument.Parse(stdout);
        var labels = detections.RootElement.GetProperty("results")[0].GetProperty("detections").EnumerateArray()
            .Select(d => d.GetProperty("label").GetString()).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(["green square", "purple hexagon"], labels);
    }
}
