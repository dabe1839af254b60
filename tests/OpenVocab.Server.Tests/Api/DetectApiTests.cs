using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using OpenVocab.Tests;

namespace OpenVocab.Server.Tests.Api;

[Collection(ServerGroup.Name)]
public class DetectApiTests(ServerFixture server)
{
    private static readonly string Classes = string.Join(", ", ServerFixture.ShapeClasses);

    [Fact]
    public async Task Detect_answers_the_same_document_as_the_cli_detect_json()
    {
        var image = ServerFixture.Sample(1);
        var cli = RunCli("detect", image, "--classes", Classes, "--json");
        using var response = await server.Http.PostAsync("/v1/detect", ServerFixture.Form([image], ("classes", Classes)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var http = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        using var local = JsonDocument.Parse(cli);
        var a = http.RootElement.GetProperty("results")[0];
        var b = local.RootElement.GetProperty("results")[0];
        Assert.Equal(b.EnumerateObject().Select(p => p.Name), a.EnumerateObject().Select(p => p.Name));
        Assert.Equal(b.GetProperty("width").GetInt32(), a.GetProperty("width").GetInt32());
        Assert.Equal(b.GetProperty("height").GetInt32(), a.GetProperty("height").GetInt32());
        Assert.Equal("shapes_1.jpg", a.GetProperty("image").GetString());
        Assert.Equal(5, a.GetProperty("detections").GetArrayLength());
        Assert.Equal(b.GetProperty("detections").GetRawText(), a.GetProperty("detections").GetRawText());
    }

    [Fact]
    public async Task Several_images_and_a_raw_body_give_one_result_each_in_order()
    {
        using var many = await server.Http.PostAsync("/v1/detect", ServerFixture.Form([ServerFixture.Sample(2), ServerFixture.Sample(1)], ("classes", Classes)));
        Assert.Equal(HttpStatusCode.OK, many.StatusCode);
        using var doc = JsonDocument.Parse(await many.Content.ReadAsStringAsync());
        var results = doc.RootElement.GetProperty("results");
        Assert.Equal(["shapes_2.jpg", "shapes_1.jpg"], results.EnumerateArray().Select(r => r.GetProperty("image").GetString()));

        var raw = new ByteArrayContent(File.ReadAllBytes(ServerFixture.Sample(1)));
        raw.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var single = await server.Http.PostAsync($"/v1/detect?classes={Uri.EscapeDataString(Classes)}", raw);
        Assert.Equal(HttpStatusCode.OK, single.StatusCode);
        using var one = JsonDocument.Parse(await single.Content.ReadAsStringAsync());
        Assert.Equal(results[1].GetProperty("detections").GetRawText(), one.RootElement.GetProperty("results")[0].GetProperty("detections").GetRawText());
    }

    [Fact]
    public async Task Parameters_change_the_answer_as_the_library_does()
    {
        var all = await Detections(("classes", Classes), ("conf", "0.25"));
        var strict = await Detections(("classes", Classes), ("conf", "0.85"));
        Assert.Equal(all.Where(d => d.Score >= 0.85).Select(d => d.Label), strict.Select(d => d.Label));
        var two = await Detections(("classes", Classes), ("max_det", "2"));
        Assert.Equal(all.Take(2).Select(d => d.Label), two.Select(d => d.Label));

        // Per-class minimums (the library's ClassConfidence, here above conf): only that label's weaker boxes go.
        var perClass = await Detections(("classes", Classes), ("classConf", "{\"purple hexagon\": 0.9, \"red star\": 0.5}"));
        Assert.Equal(all.Where(d => d.Label != "purple hexagon" || d.Score >= 0.9).Select(d => d.Label), perClass.Select(d => d.Label));
        Assert.Contains(all, d => d.Label == "purple hexagon" && d.Score < 0.9); // the filter had something to remove
    }

    [Fact]
    public async Task Class_sets_are_stored_used_by_name_listed_and_deleted()
    {
        using (var put = await server.Http.PutAsJsonAsync("/v1/classsets/shapes-a", new { classes = ServerFixture.ShapeClasses }))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal("/v1/classsets/shapes-a", put.Headers.Location?.OriginalString);
        }

        using (var again = await server.Http.PutAsJsonAsync("/v1/classsets/shapes-a", new { classes = ServerFixture.ShapeClasses }))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        using (var get = await server.Http.GetAsync("/v1/classsets/shapes-a"))
        {
            using var doc = JsonDocument.Parse(await get.Content.ReadAsStringAsync());
            Assert.Equal(ServerFixture.ShapeClasses, doc.RootElement.GetProperty("classes").EnumerateArray().Select(e => e.GetString()));
        }

        using (var list = await server.Http.GetAsync("/v1/classsets"))
        {
            Assert.Contains("shapes-a", await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var byName = await Detections(("classSet", "shapes-a"));
        var inline = await Detections(("classes", Classes));
        Assert.Equal(inline, byName);

        using (var delete = await server.Http.DeleteAsync("/v1/classsets/shapes-a"))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        using (var gone = await server.Http.GetAsync("/v1/classsets/shapes-a"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            Assert.Equal("application/problem+json", gone.Content.Headers.ContentType?.MediaType);
        }

        using var unknown = await server.Http.PostAsync("/v1/detect", ServerFixture.Form([ServerFixture.Sample(1)], ("classSet", "shapes-a")));
        await Problems.AssertAsync(unknown, 422, "classSet");
    }

    [Fact]
    public async Task Concurrent_requests_are_batched_and_answer_exactly_as_one_at_a_time()
    {
        var images = Enumerable.Range(1, 4).Select(ServerFixture.Sample).ToArray();
        var alone = new Dictionary<string, string>();
        foreach (var image in images)
        {
            alone[image] = await DetectionsText(image);
        }

        var before = await BatchCounts();
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => images[i % 4]).Select(async image => (image, text: await DetectionsText(image))));
        foreach (var (image, text) in concurrent)
        {
            Assert.Equal(alone[image], text);
        }

        var after = await BatchCounts();
        Assert.True(after.Runs - before.Runs < 32, $"32 concurrent images took {after.Runs - before.Runs} runs: nothing was batched");
        Assert.True(after.Multi > before.Multi, "no run held more than one image");
    }

    private async Task<string> DetectionsText(string image)
    {
        using var response = await server.Http.PostAsync("/v1/detect", ServerFixture.Form([image], ("classes", Classes)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("results")[0].GetProperty("detections").GetRawText();
    }

    /// <summary>Runs of the batcher so far, and how many held more than one image (from /metrics).</summary>
    private async Task<(double Runs, double Multi)> BatchCounts()
    {
        var text = await server.Http.GetStringAsync("/metrics");
        double Value(string series) => double.Parse(text.Split('\n').First(l => l.StartsWith(series + " ", StringComparison.Ordinal))[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var runs = Value("openvocab_batch_size_count");
        return (runs, runs - Value("openvocab_batch_size_bucket{le=\"1\"}"));
    }

    private async Task<List<(string Label, double Score)>> Detections(params (string, string)[] fields)
    {
        using var response = await server.Http.PostAsync("/v1/detect", ServerFixture.Form([ServerFixture.Sample(1)], fields));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. doc.RootElement.GetProperty("results")[0].GetProperty("detections").EnumerateArray()
            .Select(d => (d.GetProperty("label").GetString()!, d.GetProperty("score").GetDouble()))];
    }

    internal static string RunCli(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.RepoRoot };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "OpenVocab.Cli.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "openvocab did not finish within 2 minutes");
        Assert.True(process.ExitCode == 0, stderr.Result);
        return stdout;
    }
}
