using System.Text.Json;
using System.Text.Json.Nodes;
using OpenVocab.Tests.Inference;

namespace OpenVocab.Tests.Cli;

/// <summary>Bad input to the openvocab command: refused with what was wrong, exit code 1, before any model loads.</summary>
public class CliInputTests
{
    private static readonly string Image = Path.Combine(TestPaths.Samples, "shapes_1.jpg");

    [Theory]
    [InlineData("detect", "--classes", "prompt")]
    [InlineData("video", "--classes", "prompt")]
    [InlineData("bench", "--classes", "prompt")]
    [InlineData("classify", "--labels", "label")]
    [InlineData("embed", "--text", "value")]
    public void A_blank_prompt_is_refused_by_its_position(string command, string option, string item)
    {
        string[] args = command switch
        {
            "embed" or "bench" => [command, option, "red circle", "", "blue star"],
            _ => [command, Image, option, "red circle", "", "blue star"],
        };
        var (code, _, stderr) = CliProcess.Run(args);
        Assert.Equal(1, code);
        Assert.Contains($"{option}: {item} 2 of 3 is blank (got \"red circle\", \"\", \"blue star\")", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("red circle,", "prompt 2 of 2 is blank")]
    [InlineData("red circle,, blue star", "prompt 2 of 3 is blank")]
    [InlineData("  ", "--classes is blank")]
    public void Blank_items_in_a_comma_separated_list_are_refused_too(string classes, string message)
    {
        var (code, stdout, stderr) = CliProcess.Run("detect", Image, "--classes", classes, "--json");
        Assert.Equal(1, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void A_blank_search_text_is_refused()
    {
        var (code, _, stderr) = CliProcess.Run("search", "index.bin", "--text", " ");
        Assert.Equal(1, code);
        Assert.Contains("--text is blank", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Conf_zero_is_accepted_and_keeps_at_least_what_a_higher_threshold_keeps()
    {
        var classes = string.Join(",", ShapesWorld.AllClasses);
        int Count(string conf)
        {
            var (code, stdout, stderr) = CliProcess.Run("detect", Image, "--classes", classes, "--conf", conf, "--max-det", "30000", "--json");
            Assert.True(code == 0, stderr);
            using var json = JsonDocument.Parse(stdout);
            return json.RootElement.GetProperty("results")[0].GetProperty("detections").GetArrayLength();
        }

        Assert.True(Count("0") > Count("0.25"));
        foreach (var outside in new[] { "-0.01", "1.5" })
        {
            var (code, _, stderr) = CliProcess.Run("detect", Image, "--classes", classes, "--conf", outside);
            Assert.Equal(1, code);
            Assert.Contains($"--conf {outside} is out of range: Confidence must be in [0, 1].", stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Eval_runs_with_conf_zero_and_ranks_at_least_as_well_as_the_default()
    {
        // The first 16 images of the evaluation set, in a file of their own.
        using var dir = new TempDir();
        var all = JsonNode.Parse(File.ReadAllText(ShapesWorld.Annotations))!;
        var images = all["images"]!.AsArray().Take(16).Select(i => i!.DeepClone()).ToArray();
        var ids = images.Select(i => (int)i["id"]!).ToHashSet();
        all["images"] = new JsonArray(images);
        all["annotations"] = new JsonArray([.. all["annotations"]!.AsArray().Where(a => ids.Contains((int)a!["image_id"]!)).Select(a => a!.DeepClone())]);
        var annotations = dir.File("subset.json");
        File.WriteAllText(annotations, all.ToJsonString());

        double Map50(params string[] extra)
        {
            var (code, stdout, stderr) = CliProcess.Run(["eval", "--annotations", annotations, "--images", ShapesWorld.Images, "--json", .. extra]);
            Assert.True(code == 0, stderr);
            using var json = JsonDocument.Parse(stdout);
            Assert.Equal(16, json.RootElement.GetProperty("images").GetInt32());
            return json.RootElement.GetProperty("map50").GetDouble();
        }

        // Lower thresholds only add boxes below the ones already ranked, so AP cannot fall.
        var atZero = Map50("--conf", "0");
        var atDefault = Map50();
        Assert.InRange(atDefault, 0.5, 1);
        Assert.True(atZero >= atDefault - 1e-9, $"conf 0: {atZero}, default: {atDefault}");
    }

    [Theory]
    [InlineData("camera", "--help")]
    [InlineData("camera")]
    [InlineData("--help", "camera")]
    public void An_unknown_command_fails_and_lists_the_commands(params string[] args)
    {
        var (code, stdout, stderr) = CliProcess.Run(args);
        Assert.Equal(1, code);
        Assert.Contains("'camera' is not an openvocab command; the commands are: detect, eval, tokenize, info,", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void An_unknown_option_with_help_fails_instead_of_printing_help()
    {
        var (code, _, stderr) = CliProcess.Run("info", "--no-such-option", "--help");
        Assert.Equal(1, code);
        Assert.Contains("'--no-such-option' is not an argument or option of 'openvocab info'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Usage_lines_name_the_tool_openvocab()
    {
        var (code, stdout, _) = CliProcess.Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("  openvocab [command] [options]", stdout, StringComparison.Ordinal);
        (code, stdout, _) = CliProcess.Run("detect", "--help");
        Assert.Equal(0, code);
        Assert.Contains("  openvocab detect <images>... [options]", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("OpenVocab.Cli", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pack_naming_files_outside_its_folder_needs_allow_external_paths()
    {
        using var root = new TempDir();
        var pack = ModelPackTests.CopyOfShippedPackInto(root.File("pack"));
        Directory.CreateDirectory(root.File("elsewhere"));
        File.Move(Path.Combine(pack, "detector.onnx"), root.File("elsewhere/detector.onnx"));
        ModelPackTests.EditManifest(pack, m => m["detector"]!["onnx"] = "../elsewhere/detector.onnx");

        var (code, _, stderr) = CliProcess.Run("detect", Image, "--model", pack, "--classes", "green square");
        Assert.Equal(1, code);
        Assert.Contains($"detector.onnx names '../elsewhere/detector.onnx', which is '{root.File("elsewhere/detector.onnx")}', outside the pack folder '{pack}'", stderr, StringComparison.Ordinal);
        Assert.Contains("--allow-external-paths", stderr, StringComparison.Ordinal);

        (code, var stdout, stderr) = CliProcess.Run("detect", Image, "--model", pack, "--classes", "green square", "--allow-external-paths");
        Assert.True(code == 0, stderr);
        Assert.Contains("green square", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_symlink_loop_is_named_in_plain_words()
    {
        using var dir = new TempDir();
        File.CreateSymbolicLink(dir.File("a.onnx"), "b.onnx");
        File.CreateSymbolicLink(dir.File("b.onnx"), "a.onnx");
        var (code, _, stderr) = CliProcess.Run("info", "--model", dir.File("a.onnx"));
        Assert.Equal(1, code);
        Assert.Contains($"{dir.File("a.onnx")}: is a symlink loop", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("system error", stderr, StringComparison.Ordinal);
    }
}
