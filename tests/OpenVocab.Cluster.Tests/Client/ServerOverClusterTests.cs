using System.Net;
using System.Text;
using System.Text.Json;
using OpenVocab.Cameras.Tests;
using OpenVocab.Cluster.Client;
using OpenVocab.Cluster.Tests.Grains;
using OpenVocab.Server;
using OpenVocab.Tests;

namespace OpenVocab.Cluster.Tests.Client;

/// <summary>The server's <c>/v1/cameras</c> routes over real HTTP, fronting the cluster through <see cref="ClusterCameraControl"/>.</summary>
[Collection(GrainClusterGroup.Name)]
public sealed class ServerOverClusterTests(GrainCluster cluster)
{
    [Fact]
    public async Task Cameras_routes_add_reclass_list_and_remove_cluster_cameras_with_their_silo()
    {
        var port = Loopback.FreePort();
        var app = OpenVocabServer.Build([$"--Server:Model={TestPaths.ShapesPack}", $"--Server:Url=http://127.0.0.1:{port}", "--Server:GrpcUrl=", "--Logging:LogLevel:Default=Warning"],
            new ClusterCameraControl(cluster.Client));
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var definition = $$"""{"source": {{JsonSerializer.Serialize(Path.Combine(TestPaths.Samples, "shapes_walk.mp4"))}}, "loop": true, "realtime": true, "classes": ["red circle"]}""";
            using (var created = await http.PutAsync("/v1/cameras/http-walk", Json(definition)))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                var body = await Body(created);
                Assert.Contains(body.GetProperty("silo").GetString(), cluster.SilosRunning("http-walk"));
            }

            using (var replaced = await http.PutAsync("/v1/cameras/http-walk", Json(definition)))
            {
                Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
            }

            using (var reclassed = await http.PutAsync("/v1/cameras/http-walk/classes", Json("""{"classes": [{"name": "car", "threshold": 0.5, "prompts": ["a car"]}, "bus"]}""")))
            {
                Assert.Equal(HttpStatusCode.OK, reclassed.StatusCode);
                Assert.Equal(["car", "bus"], (await Body(reclassed)).GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
            }

            var list = await Body(await http.GetAsync("/v1/cameras"));
            var walk = Assert.Single(list.GetProperty("cameras").EnumerateArray());
            Assert.Equal("http-walk", walk.GetProperty("name").GetString());
            Assert.Equal(cluster.SilosRunning("http-walk").Single(), walk.GetProperty("silo").GetString());

            using (var invalid = await http.PutAsync("/v1/cameras/bad", Json("""{"source": "x.mp4", "stride": 0}""")))
            {
                Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
                Assert.Contains("stride", await invalid.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v1/cameras/nobody")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.PutAsync("/v1/cameras/nobody/classes", Json("""{"classes": "car"}"""))).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("/v1/cameras/http-walk")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync("/v1/cameras/http-walk")).StatusCode);
            Assert.Empty(cluster.SilosRunning("http-walk"));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            await cluster.RemoveAllAsync();
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Body(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
