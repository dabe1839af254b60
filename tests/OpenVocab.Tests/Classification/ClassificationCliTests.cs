using OpenVocab.Tests.Cli;
using System.Text.Json;

namespace OpenVocab.Tests.Classification;

/// <summary>The classify, embed, index and search commands run as a process.</summary>
public sealed class ClassificationCliTests
{
    [Fact]
    public void Classify_json_has_sorted_predictions_per_image()
    {
        EvalImage[] images = [.. ClassificationData.Labels.Where(l => l.Kind == "crop" && !l.HeldOut).Take(2)];
        var (code, stdout, stderr) = CliProcess.Run(["classify", images[0].Path, images[1].Path, "--labels", .. ClassificationData.AllClasses, "--top-k", "3", "--json"]);
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        JsonElement[] results = [.. json.RootElement.GetProperty("results").EnumerateArray()];
        Assert.Equal(2, results.Length);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(images[i].Path, results[i].GetProperty("image").GetString());
            JsonElement[] predictions = [.. results[i].GetProperty("predictions").EnumerateArray()];
            Assert.Equal(3, predictions.Length);
            Assert.Equal(images[i].Caption, predictions[0].GetProperty("label").GetString());
            Assert.True(predictions[0].GetProperty("score").GetDouble() >= predictions[1].GetProperty("score").GetDouble());
        }

        (code, stdout, stderr) = CliProcess.Run("classify", images[0].Path, "--labels", "red heart", "blue star", "--ensemble", "--template", "a {} shape.", "--json");
        Assert.True(code == 0, stderr);
        using var ensemble = JsonDocument.Parse(stdout);
        double sum = ensemble.RootElement.GetProperty("results")[0].GetProperty("predictions").EnumerateArray().Sum(p => p.GetProperty("score").GetDouble());
        Assert.Equal(1.0, sum, 4);
    }

    [Fact]
    public void Classify_errors_explain_and_exit_non_zero()
    {
        string image = ClassificationData.Labels[0].Path;
        var (code, _, stderr) = CliProcess.Run("classify", image, "--labels", "red heart");
        Assert.Equal(1, code);
        Assert.Contains("single label", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliProcess.Run("classify", image, "--labels", "red heart", "blue star", "--template", "no placeholder");
        Assert.Equal(1, code);
        Assert.Contains("{}", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliProcess.Run("classify", "/no/such.jpg", "--labels", "red heart", "blue star");
        Assert.Equal(1, code);
        Assert.Contains("/no/such.jpg", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Embed_json_gives_unit_vectors()
    {
        var (code, stdout, stderr) = CliProcess.Run("embed", "--text", "red heart", "a photo of a blue star.", "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        JsonElement[] results = [.. json.RootElement.GetProperty("results").EnumerateArray()];
        Assert.Equal(["red heart", "a photo of a blue star."], results.Select(r => r.GetProperty("input").GetString()));
        foreach (JsonElement r in results)
        {
            double[] v = [.. r.GetProperty("embedding").EnumerateArray().Select(x => x.GetDouble())];
            Assert.Equal(64, v.Length);
            Assert.Equal(1.0, Math.Sqrt(v.Sum(x => x * x)), 4);
        }

        (code, stdout, stderr) = CliProcess.Run("embed", "--image", ClassificationData.Labels[0].Path, "--json");
        Assert.True(code == 0, stderr);
        using var image = JsonDocument.Parse(stdout);
        Assert.Equal(64, image.RootElement.GetProperty("results")[0].GetProperty("embedding").GetArrayLength());

        (code, _, stderr) = CliProcess.Run("embed", "--text", "a", "--image", ClassificationData.Labels[0].Path);
        Assert.Equal(1, code);
        Assert.Contains("either --text", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Index_then_search_by_text()
    {
        using var dir = new TempDir();
        string images = Path.Combine(dir.Path, "images");
        Directory.CreateDirectory(images);
        EvalImage[] crops = [.. ClassificationData.Labels.Where(l => l.Kind == "crop" && !l.HeldOut).Take(10)];
        foreach (EvalImage e in crops)
        {
            File.Copy(e.Path, Path.Combine(images, Path.GetFileName(e.Path)));
        }

        File.WriteAllText(Path.Combine(images, "broken.jpg"), "not a jpeg");
        string index = dir.File("images.ovi");
        var (code, stdout, stderr) = CliProcess.Run("index", images, "--out", index);
        Assert.True(code == 0, stderr);
        Assert.Contains("added 10", stdout, StringComparison.Ordinal);
        Assert.Contains("failed 1", stdout, StringComparison.Ordinal);
        Assert.Contains("broken.jpg", stdout, StringComparison.Ordinal);
        Assert.Contains("index: 11 / 11 (100%)", stderr, StringComparison.Ordinal);
        Assert.Contains("/s", stderr, StringComparison.Ordinal);
        Assert.Contains(" left", stderr, StringComparison.Ordinal);

        (code, stdout, _) = CliProcess.Run("index", images, "--out", index);
        Assert.Equal(0, code);
        Assert.Contains("unchanged 10", stdout, StringComparison.Ordinal);

        EvalImage target = crops[0];
        (code, stdout, stderr) = CliProcess.Run("search", index, "--text", $"a photo of a {target.Caption}.", "--top-k", "3", "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        JsonElement[] hits = [.. json.RootElement.GetProperty("results").EnumerateArray()];
        Assert.Equal(3, hits.Length);
        string top = Path.GetFileName(hits[0].GetProperty("path").GetString()!);
        string topCaption = crops.Single(c => Path.GetFileName(c.Path) == top).Caption;
        Assert.Equal(target.Caption, topCaption);

        File.WriteAllText(dir.File("bad.ovi"), "garbage");
        (code, _, stderr) = CliProcess.Run("search", dir.File("bad.ovi"), "--text", "red heart");
        Assert.Equal(1, code);
        Assert.Contains("not an OpenVocab image index", stderr, StringComparison.Ordinal);
    }
}
