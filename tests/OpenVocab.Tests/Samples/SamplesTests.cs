using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenVocab.Samples.DetectConsole;
using OpenVocab.Samples.MinimalApi;
using OpenVocab.Samples.PhotoSearch;
using OpenVocab.Samples.Webcam;
using OpenVocab.Samples.ZeroShotClassify;
using OpenVocab.Tests.Video;

namespace OpenVocab.Tests.Samples;

/// <summary>Every sample program run on the shipped pack, checking what it prints or serves.</summary>
public class SamplesTests
{
    private const string Classes = "green square, purple hexagon, orange circle, red star, blue circle";

    [Fact]
    public void DetectConsole_prints_and_saves_the_detections()
    {
        using var dir = new TempDir();
        var output = new StringWriter();
        string image = Path.Combine(TestPaths.Samples, "shapes_1.jpg");
        Assert.Equal(0, DetectConsoleSample.Run([TestPaths.ShapesPack, Classes, image, "--save", dir.Path], output));
        string text = output.ToString();
        Assert.Contains("red star", text, StringComparison.Ordinal);
        Assert.True(File.Exists(dir.File("shapes_1.jpg")));
    }

    [Fact]
    public void ZeroShotClassify_ranks_the_labels()
    {
        var output = new StringWriter();
        Assert.Equal(0, ZeroShotClassifySample.Run([TestPaths.ShapesPack, "red star, green square, purple hexagon", Path.Combine(TestPaths.Samples, "shapes_1.jpg")], output));
        Assert.Matches(@"shapes_1\.jpg: [a-z ]+ 0\.\d{3}, [a-z ]+ 0\.\d{3}, [a-z ]+ 0\.\d{3}", output.ToString());
    }

    [Fact]
    public void PhotoSearch_indexes_the_folder_and_answers_a_query()
    {
        using var dir = new TempDir();
        var output = new StringWriter();
        Assert.Equal(0, PhotoSearchSample.Run([TestPaths.ShapesPack, TestPaths.Samples, dir.File("samples.ovindex"), "a red star", "2"], output));
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("index: 4 images (4 added", lines[0], StringComparison.Ordinal);
        Assert.Equal(3, lines.Length);

        // The second run embeds nothing again.
        output = new StringWriter();
        Assert.Equal(0, PhotoSearchSample.Run([TestPaths.ShapesPack, TestPaths.Samples, dir.File("samples.ovindex"), "a red star"], output));
        Assert.Contains("(0 added, 4 unchanged", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webcam_without_a_display_writes_annotated_frames()
    {
        using var dir = new TempDir();
        string video = dir.File("shapes.avi");
        MovingShapes.WriteVideo(video, 8);
        var output = new StringWriter();
        string frames = dir.File("frames");
        Assert.Equal(0, await WebcamSample.RunAsync([TestPaths.ShapesPack, string.Join(",", MovingShapes.Classes), video, "--no-window", "--out", frames], output));
        Assert.Contains("8 frames", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(8, Directory.GetFiles(frames, "frame_*.jpg").Length);
    }

    [Fact]
    public async Task MinimalApi_serves_detections_on_loopback()
    {
        WebApplication app = MinimalApiSample.Build(["--urls", "http://127.0.0.1:0", "--Pack", TestPaths.ShapesPack]);
        await app.StartAsync();
        try
        {
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
            using var body = new ByteArrayContent(File.ReadAllBytes(Path.Combine(TestPaths.Samples, "shapes_1.jpg")));
            body.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            using HttpResponseMessage response = await http.PostAsync(new Uri("detect?classes=" + Uri.EscapeDataString(Classes), UriKind.Relative), body);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var labels = json.RootElement.GetProperty("detections").EnumerateArray().Select(d => d.GetProperty("label").GetString()).ToArray();
            Assert.Contains("red star", labels);

            using var bad = new ByteArrayContent([1, 2, 3]);
            using HttpResponseMessage refused = await http.PostAsync(new Uri("detect?classes=red%20star", UriKind.Relative), bad);
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
