using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpenVocab.Classification;
using OpenVocab.Imaging;
using OpenVocab.Inference;
using OpenVocab.Search;
using OpenVocab.Tests;

namespace OpenVocab.Server.Tests.Api;

/// <summary>Classify, embed and search over HTTP give what the library gives in process.</summary>
[Collection(ServerGroup.Name)]
public sealed class ClipApiTests(ServerFixture server) : IDisposable
{
    private readonly ZeroShotClassifier _clip = ZeroShotClassifier.Load(ModelPack.Load(TestPaths.ShapesPack));

    public void Dispose() => _clip.Dispose();

    [Fact]
    public async Task Classify_equals_the_library()
    {
        string[] labels = ["red star", "blue circle", "green square", "orange circle"];
        using var response = await server.Http.PostAsync("/v1/classify", ServerFixture.Form([ServerFixture.Sample(1)], ("labels", string.Join(",", labels)), ("top_k", "3")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var predictions = doc.RootElement.GetProperty("results")[0].GetProperty("predictions");
        using var image = ImageLoader.Read(ServerFixture.Sample(1));
        var expected = _clip.Classify(image, _clip.CreateLabels(labels), 3);
        Assert.Equal(3, predictions.GetArrayLength());
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(expected.Predictions[i].Label, predictions[i].GetProperty("label").GetString());
            Assert.Equal(expected.Predictions[i].Score, predictions[i].GetProperty("score").GetDouble(), 5);
        }
    }

    [Fact]
    public async Task Embed_texts_and_images_equal_the_library()
    {
        using var json = await server.Http.PostAsJsonAsync("/v1/embed", new { texts = new[] { "a red star", "a blue circle" } });
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        using var doc = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
        var expected = _clip.EmbedText(["a red star", "a blue circle"]);
        Assert.Equal(expected[0].Length, doc.RootElement.GetProperty("dimension").GetInt32());
        var got = doc.RootElement.GetProperty("texts")[1].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(expected[1], got);

        using var form = await server.Http.PostAsync("/v1/embed", ServerFixture.Form([ServerFixture.Sample(2)], ("texts", "a red star")));
        using var formDoc = JsonDocument.Parse(await form.Content.ReadAsStringAsync());
        using var image = ImageLoader.Read(ServerFixture.Sample(2));
        var imageExpected = _clip.EmbedImages([image])[0];
        Assert.Equal(imageExpected, formDoc.RootElement.GetProperty("images")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray());
        Assert.Equal("shapes_2.jpg", formDoc.RootElement.GetProperty("images")[0].GetProperty("image").GetString());
    }

    [Fact]
    public async Task Search_by_text_and_by_image_equals_the_library_and_names_no_server_path()
    {
        var index = ImageIndex.Load(server.IndexFile);
        using var byText = await server.Http.PostAsJsonAsync("/v1/search", new { text = "a photo of a red star.", top_k = 2 });
        Assert.Equal(HttpStatusCode.OK, byText.StatusCode);
        var body = await byText.Content.ReadAsStringAsync();
        Assert.DoesNotContain(TestPaths.RepoRoot, body, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(body);
        var expected = index.SearchText(_clip.TextEncoder, "a photo of a red star.", 2);
        var hits = doc.RootElement.GetProperty("results");
        Assert.Equal(expected.Select(h => Path.GetFileName(h.Path)), hits.EnumerateArray().Select(h => h.GetProperty("path").GetString()));

        var form = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(ServerFixture.Sample(3))), "image", "q.jpg" }, { new StringContent("1"), "top_k" } };
        using var byImage = await server.Http.PostAsync("/v1/search", form);
        using var imageDoc = JsonDocument.Parse(await byImage.Content.ReadAsStringAsync());
        Assert.Equal("shapes_3.jpg", imageDoc.RootElement.GetProperty("results")[0].GetProperty("path").GetString());
    }
}
