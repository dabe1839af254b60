using System.Text.Json.Nodes;
using OpenVocab.Tests.Video;

namespace OpenVocab.Tests.Cli;

/// <summary>
/// Long commands report progress on stderr; run with stderr redirected (as here), they write plain lines with count,
/// rate and time left, never a redrawn bar, and stdout stays the command's result.
/// </summary>
public class CliProgressTests
{
    [Fact]
    public void Index_reports_plain_progress_lines_when_redirected()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = CliProcess.Run("index", TestPaths.Samples, "--out", dir.File("samples.ovindex"));
        Assert.True(code == 0, stderr);
        Assert.Contains("index: 4 / 4 (100%)", stderr, StringComparison.Ordinal);
        Assert.Contains("/s, 00:00:00 left", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', stderr);
        Assert.DoesNotContain("\u001b[", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("(100%)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_reports_images_done_with_the_json_result_alone_on_stdout()
    {
        using var dir = new TempDir();
        var all = JsonNode.Parse(File.ReadAllText(ShapesWorld.Annotations))!;
        var images = all["images"]!.AsArray().Take(6).Select(i => i!.DeepClone()).ToArray();
        var ids = images.Select(i => (int)i["id"]!).ToHashSet();
        all["images"] = new JsonArray(images);
        all["annotations"] = new JsonArray([.. all["annotations"]!.AsArray().Where(a => ids.Contains((int)a!["image_id"]!)).Select(a => a!.DeepClone())]);
        File.WriteAllText(dir.File("subset.json"), all.ToJsonString());

        var (code, stdout, stderr) = CliProcess.Run("eval", "--annotations", dir.File("subset.json"), "--images", ShapesWorld.Images, "--json");
        Assert.True(code == 0, stderr);
        Assert.Contains("eval: 6 / 6 (100%)", stderr, StringComparison.Ordinal);
        Assert.NotNull(JsonNode.Parse(stdout));
    }

    [Fact]
    public void Video_file_reports_frames_against_the_frame_count()
    {
        using var dir = new TempDir();
        string video = dir.File("shapes.avi");
        MovingShapes.WriteVideo(video, 12);
        var (code, _, stderr) = CliProcess.Run("video", video, "--classes", string.Join(",", MovingShapes.Classes));
        Assert.True(code == 0, stderr);
        Assert.Contains("video shapes.avi: 12 / 12 (100%)", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', stderr);
    }
}
