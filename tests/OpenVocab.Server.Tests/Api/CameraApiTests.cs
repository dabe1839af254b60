using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenVocab.Tests;

namespace OpenVocab.Server.Tests.Api;

/// <summary>/v1/cameras over real HTTP: cameras on the sample video run on the server's detector, are re-classed and removed.</summary>
[Collection(ServerGroup.Name)]
public class CameraApiTests(ServerFixture server)
{
    private static readonly string Walk = Path.Combine(TestPaths.Samples, "shapes_walk.mp4");

    [Fact]
    public async Task A_camera_is_added_runs_is_reclassed_replaced_and_deleted()
    {
        var definition = new JsonObject
        {
            ["source"] = Walk,
            ["loop"] = true,
            ["realtime"] = true,
            ["classes"] = new JsonArray("red circle", new JsonObject { ["name"] = "blue square", ["threshold"] = 0.4 }),
            ["coordinates"] = "normalized",
            ["zones"] = new JsonArray(new JsonObject { ["name"] = "right", ["points"] = JsonNode.Parse("[[0.5,0],[1,0],[1,1],[0.5,1]]") }),
        };
        using (var created = await server.Http.PutAsync("/v1/cameras/api-walk", Json(definition)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("/v1/cameras/api-walk", created.Headers.Location?.OriginalString);
        }

        try
        {
            var listed = await WaitForFramesAsync("api-walk");
            Assert.Equal(Walk, listed.GetProperty("source").GetString());
            Assert.Equal(["red circle", "blue square"], Labels(listed));
            Assert.True(listed.GetProperty("width").GetInt32() > 0);

            using (var reclassed = await server.Http.PutAsync("/v1/cameras/api-walk/classes", Json(new JsonObject { ["classes"] = "green square, orange circle" })))
            {
                Assert.Equal(HttpStatusCode.OK, reclassed.StatusCode);
                Assert.Equal(["green square", "orange circle"], Labels(await BodyAsync(reclassed)));
            }

            var one = await BodyAsync(await server.Http.GetAsync("/v1/cameras/api-walk"));
            Assert.Equal(["green square", "orange circle"], Labels(one));

            // Replacing: same name, a new definition, the camera starts over with it.
            definition["classes"] = new JsonArray("red star");
            using (var replaced = await server.Http.PutAsync("/v1/cameras/api-walk", Json(definition)))
            {
                Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
                Assert.Equal(["red star"], Labels(await BodyAsync(replaced)));
            }

            await WaitForFramesAsync("api-walk");
        }
        finally
        {
            using var deleted = await server.Http.DeleteAsync("/v1/cameras/api-walk");
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await Problems.AssertAsync(await server.Http.GetAsync("/v1/cameras/api-walk"), 404, "name");
        await Problems.AssertAsync(await server.Http.DeleteAsync("/v1/cameras/api-walk"), 404, "name");
        var all = await BodyAsync(await server.Http.GetAsync("/v1/cameras"));
        Assert.DoesNotContain(all.GetProperty("cameras").EnumerateArray(), c => c.GetProperty("name").GetString() == "api-walk");
    }

    [Theory]
    [InlineData("{\"source\": \"" + "WALK" + "\", \"stirde\": 2}", 422, "stirde")]
    [InlineData("{\"classes\": [\"red circle\"]}", 422, "source")]
    [InlineData("{\"source\": \"WALK\", \"name\": \"other\"}", 422, "'other'")]
    [InlineData("{\"source\": \"WALK\", \"zones\": [{\"name\": \"z\", \"points\": [[0,0],[10,10],[10,0],[0,10]]}]}", 422, "zones[0]")]
    [InlineData("{\"source\": \"WALK\", \"classes\": [{\"name\": \"red circle\", \"threshold\": 2}]}", 422, "threshold")]
    [InlineData("{\"source\": ", 400, "not valid YAML or JSON")]
    [InlineData("[1, 2]", 422, "expected a mapping")]
    public async Task A_bad_definition_is_a_problem_naming_the_field_and_starts_nothing(string body, int status, string mentioned)
    {
        using var response = await server.Http.PutAsync("/v1/cameras/bad-one", new StringContent(body.Replace("WALK", Walk.Replace("\\", "\\\\", StringComparison.Ordinal), StringComparison.Ordinal), Encoding.UTF8, "application/json"));
        var problem = await Problems.AssertAsync(response, status, "body");
        Assert.Contains(mentioned, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await Problems.AssertAsync(await server.Http.GetAsync("/v1/cameras/bad-one"), 404, "name");
    }

    [Fact]
    public async Task Bad_class_changes_and_unknown_cameras_are_problems_and_a_bad_change_keeps_the_old_classes()
    {
        await Problems.AssertAsync(await server.Http.PutAsync("/v1/cameras/nobody/classes", Json(new JsonObject { ["classes"] = "red star" })), 404, "name");
        await Problems.AssertAsync(await server.Http.PutAsync("/v1/cameras/x", new StringContent("source: a.mp4", Encoding.UTF8, "text/plain")), 415, "Content-Type");

        using (var created = await server.Http.PutAsync("/v1/cameras/api-classes", Json(new JsonObject { ["source"] = Walk, ["loop"] = true, ["classes"] = "red star" })))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        try
        {
            var duplicate = await Problems.AssertAsync(
                await server.Http.PutAsync("/v1/cameras/api-classes/classes", Json(new JsonObject { ["classes"] = new JsonArray("red star", "red star") })), 422, "body");
            Assert.Contains(duplicate.GetProperty("errors").EnumerateArray(), e => e.GetString()!.Contains("classes[1]", StringComparison.Ordinal));
            await Problems.AssertAsync(await server.Http.PutAsync("/v1/cameras/api-classes/classes", Json(new JsonObject { ["labels"] = "red star" })), 422, "body");
            Assert.Equal(["red star"], Labels(await BodyAsync(await server.Http.GetAsync("/v1/cameras/api-classes"))));
        }
        finally
        {
            (await server.Http.DeleteAsync("/v1/cameras/api-classes")).Dispose();
        }
    }

    [Fact]
    public async Task A_cameras_file_starts_its_cameras_and_sinks_behind_the_api_key_and_a_bad_file_stops_the_start()
    {
        using var dir = new TempDir();
        var events = dir.File("events.jsonl");
        var file = dir.File("cameras.yaml");
        await File.WriteAllTextAsync(file, $"""
            jsonl: {events}
            cameras:
              - name: one
                source: {Walk}
                loop: true
                classes: red circle, blue square, green square
                events: [appeared, lost]
              - name: two
                source: {Walk}
                classes: [orange circle]
            """);
        const string Key = "camera-key";
        var (app, rest, _) = await ServerFixture.StartAsync([$"--Server:Cameras={file}", $"--Server:ApiKey={Key}"]);
        try
        {
            using var http = new HttpClient { BaseAddress = rest };
            await Problems.AssertAsync(await http.GetAsync("/v1/cameras"), 401, "X-Api-Key");
            http.DefaultRequestHeaders.Add("X-Api-Key", Key);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            JsonElement list;
            do
            {
                await Task.Delay(200);
                list = await BodyAsync(await http.GetAsync("/v1/cameras"));
            }
            while (DateTime.UtcNow < deadline && !(list.GetProperty("cameras").GetArrayLength() == 2
                && list.GetProperty("cameras").EnumerateArray().All(c => c.GetProperty("framesProcessed").GetInt64() > 0)
                && list.GetProperty("cameras")[0].GetProperty("events").GetInt64() > 0));

            Assert.Equal(["one", "two"], list.GetProperty("cameras").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
            Assert.All(list.GetProperty("cameras").EnumerateArray(), c => Assert.True(c.GetProperty("framesProcessed").GetInt64() > 0, c.ToString()));
            Assert.True(list.GetProperty("cameras")[0].GetProperty("events").GetInt64() > 0, list.ToString());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        // The file's JSON Lines sink got the events and was flushed when the server stopped.
        var lines = await File.ReadAllLinesAsync(events);
        Assert.NotEmpty(lines);
        var cameras = lines.Select(l => JsonNode.Parse(l)!["camera"]!.GetValue<string>()).ToList();
        Assert.Contains("one", cameras);
        Assert.All(cameras, c => Assert.Contains(c, new[] { "one", "two" }));

        await File.WriteAllTextAsync(file, $"cameras:\n  - name: one\n    source: {Walk}\n    strde: 2\n");
        using var error = new StringWriter();
        Assert.Equal(1, await OpenVocabServer.RunAsync([$"--Server:Model={TestPaths.ShapesPack}", "--Server:Url=http://127.0.0.1:0", "--Server:GrpcUrl=", $"--Server:Cameras={file}"], error));
        Assert.Contains("strde", error.ToString(), StringComparison.Ordinal);
    }

    private async Task<JsonElement> WaitForFramesAsync(string name)
    {
        for (var waited = 0; ; waited += 200)
        {
            var list = await BodyAsync(await server.Http.GetAsync("/v1/cameras"));
            var camera = list.GetProperty("cameras").EnumerateArray().FirstOrDefault(c => c.GetProperty("name").GetString() == name);
            Assert.True(camera.ValueKind == JsonValueKind.Object, $"'{name}' is not listed: {list}");
            if (camera.GetProperty("framesProcessed").GetInt64() > 0)
            {
                return camera;
            }

            Assert.True(waited < 60_000, $"'{name}' processed no frame in 60 s: {camera}");
            await Task.Delay(200);
        }
    }

    private static string[] Labels(JsonElement camera) => [.. camera.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!)];

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static async Task<JsonElement> BodyAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
            return JsonDocument.Parse(text).RootElement.Clone();
        }
    }
}
