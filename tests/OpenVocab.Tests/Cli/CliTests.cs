using System.Text.Json;

namespace OpenVocab.Tests.Cli;

/// <summary>The openvocab command run as a process, the way users run it.</summary>
public class CliTests
{
    [Fact]
    public void Detect_json_is_one_document_with_the_documented_shape()
    {
        var image = Path.Combine(ShapesWorld.Images, ShapesWorld.Dataset.Images[0].FileName);
        var (code, stdout, stderr) = CliProcess.Run("detect", image, "--classes", string.Join(",", ShapesWorld.AllClasses), "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var result = Assert.Single(json.RootElement.GetProperty("results").EnumerateArray());
        Assert.Equal(image, result.GetProperty("image").GetString());
        Assert.Equal(ShapesWorld.Dataset.Images[0].Width, result.GetProperty("width").GetInt32());
        var detections = result.GetProperty("detections").EnumerateArray().ToArray();
        Assert.NotEmpty(detections);
        foreach (var d in detections)
        {
            Assert.Contains(d.GetProperty("label").GetString(), ShapesWorld.AllClasses);
            Assert.InRange(d.GetProperty("classIndex").GetInt32(), 0, ShapesWorld.AllClasses.Length - 1);
            Assert.InRange(d.GetProperty("score").GetDouble(), 0.25, 1.0);
            Assert.Equal(4, d.GetProperty("box").GetArrayLength());
        }

        foreach (var stage in new[] { "preprocess", "inference", "postprocess" })
        {
            Assert.True(result.GetProperty("speedMs").GetProperty(stage).GetDouble() > 0);
        }
    }

    [Fact]
    public void Detect_saves_an_annotated_image()
    {
        using var dir = new TempDir();
        var image = Path.Combine(ShapesWorld.Images, ShapesWorld.Dataset.Images[0].FileName);
        var (code, _, stderr) = CliProcess.Run("detect", image, "--classes", "red circle", "blue star", "--save", dir.Path);
        Assert.True(code == 0, stderr);
        using var saved = OpenCvSharp.Cv2.ImRead(Path.Combine(dir.Path, Path.GetFileName(image)));
        Assert.False(saved.Empty());
    }

    [Fact]
    public void Tokenize_json_gives_the_stock_clip_ids()
    {
        var bpe = TestPaths.StockVocabulary;
        var (code, stdout, stderr) = CliProcess.Run("tokenize", "red backpack", "--bpe", bpe, "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var result = Assert.Single(json.RootElement.GetProperty("results").EnumerateArray());
        Assert.Equal("red backpack", result.GetProperty("text").GetString());
        Assert.Equal([49406, 736, 14894, 49407], result.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()));
    }

    [Fact]
    public void Errors_go_to_stderr_with_a_non_zero_exit()
    {
        var (code, stdout, stderr) = CliProcess.Run("detect", "/no/such/image.jpg", "--classes", "red circle", "--json");
        Assert.NotEqual(0, code);
        Assert.Contains("/no/such/image.jpg", stderr, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(stdout);
        Assert.Empty(json.RootElement.GetProperty("results").EnumerateArray());

        (code, _, stderr) = CliProcess.Run("detect", Path.Combine(ShapesWorld.Images, ShapesWorld.Dataset.Images[0].FileName));
        Assert.NotEqual(0, code);
        Assert.Contains("--classes", stderr, StringComparison.Ordinal);

        (code, _, stderr) = CliProcess.Run("info", "--model", "/no/such/pack");
        Assert.NotEqual(0, code);
        Assert.Contains("/no/such/pack", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Info_describes_the_shipped_pack()
    {
        var (code, stdout, stderr) = CliProcess.Run("info");
        Assert.True(code == 0, stderr);
        Assert.Contains("txt_feats", stdout, StringComparison.Ordinal);
        Assert.Contains("dynamic", stdout, StringComparison.Ordinal);
    }
}
