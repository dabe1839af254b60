using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenVocab.Detection;
using OpenVocab.Tests;

namespace OpenVocab.Server.Tests.Api;

/// <summary>
/// Prompting over real HTTP: example images uploaded with the request, negatives and attributes give exactly what the
/// library gives for the same prompts; class sets hold them too; a pack without an image encoder refuses them.
/// </summary>
[Collection(ServerGroup.Name)]
public class PromptingApiTests(ServerFixture server, LibraryDetector library) : IClassFixture<LibraryDetector>
{
    private static readonly string Image = ServerFixture.Sample(1);

    private static ImageExemplar Crop(string file) => ImageExemplar.FromFile(LibraryDetector.Exemplar(file));

    [Fact]
    public async Task Exemplars_uploaded_with_the_request_give_exactly_the_library_result()
    {
        // Text fused with one image for "red star", text alone for "blue circle", two images alone for "green square".
        var expected = library.Detections(Image, new PromptSet([
            new ClassPrompt("red star") { Exemplars = [Crop("red_star_0.jpg")] },
            new ClassPrompt("blue circle"),
            ClassPrompt.FromExemplars("green square", Crop("green_square_0.jpg"), Crop("green_square_1.jpg")),
        ]));
        Assert.Contains("\"classIndex\":2", expected, StringComparison.Ordinal); // the image-only class is a class of the answer

        // Classes named by the file names, as the CLI's --class-image "LABEL=FILE".
        var byFileName = await Detections(Form(
            [("red star=red_star_0.jpg", "red_star_0.jpg"), ("green square=g0.jpg", "green_square_0.jpg"), ("green square=g1.jpg", "green_square_1.jpg")],
            ("classes", "red star, blue circle")));
        Assert.Equal(expected, byFileName);

        // The same by a label field per file; the file names are then only names.
        var byLabel = await Detections(Form(
            [("a.jpg", "red_star_0.jpg"), ("b.jpg", "green_square_0.jpg"), ("c.jpg", "green_square_1.jpg")],
            ("classes", "red star, blue circle"), ("class_image_label", "red star"), ("class_image_label", "green square, green square")));
        Assert.Equal(expected, byLabel);

        // Text alone differs: the images did change the class embeddings.
        var textOnly = await Detections(Form([], ("classes", "red star, blue circle, green square")));
        Assert.NotEqual(expected, textOnly);
    }

    [Fact]
    public async Task Negatives_drop_the_boxes_they_win_exactly_as_the_library_does()
    {
        const string Classes = "blue circle, orange circle, red star";
        const string Negative = "a photo of a blue circle.";
        var expected = library.Detections(Image, new PromptSet([new ClassPrompt("blue circle"), new ClassPrompt("orange circle"), new ClassPrompt("red star")])
        {
            Negatives = [new ClassPrompt(Negative)],
        });
        var plain = await Detections(Form([], ("classes", Classes)));
        var withNegative = await Detections(Form([], ("classes", Classes), ("not", Negative)));
        Assert.Equal(expected, withNegative);

        var before = Labels(plain);
        var after = Labels(withNegative);
        Assert.True(after.Count < before.Count, $"the negative dropped no box: {string.Join(", ", before)}");
        Assert.DoesNotContain(Negative, after);
        Assert.All(after, l => Assert.Contains(l, before)); // only boxes go; nothing new appears under a class
    }

    [Fact]
    public async Task Attributes_are_classified_on_kept_boxes_exactly_as_the_library_does()
    {
        string[] colours = ["blue circle", "orange circle", "green circle", "red circle"];
        var expected = library.Detections(Image, new PromptSet([.. ServerFixture.ShapeClasses.Select(c => new ClassPrompt(c))])
        {
            Attributes = [new AttributePrompt("blue circle", colours)],
        });
        using var response = await server.Http.PostAsync("/v1/detect", Form([], ("classes", string.Join(", ", ServerFixture.ShapeClasses)), ("attributes", $"blue circle: {string.Join(", ", colours)}")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var result = doc.RootElement.GetProperty("results")[0];
        Assert.Equal(expected, result.GetProperty("detections").GetRawText());
        Assert.True(result.GetProperty("speedMs").GetProperty("attributes").GetDouble() > 0);

        var detections = result.GetProperty("detections").EnumerateArray().ToList();
        Assert.Contains(detections, d => d.GetProperty("label").GetString() == "blue circle");
        foreach (var d in detections)
        {
            var classified = d.TryGetProperty("attribute", out var attribute);
            Assert.Equal(d.GetProperty("label").GetString() == "blue circle", classified);
            if (classified)
            {
                Assert.Equal(3, attribute.GetProperty("topK").GetArrayLength());
                Assert.Contains(attribute.GetProperty("label").GetString(), colours);
            }
        }
    }

    [Fact]
    public async Task A_stored_class_set_holds_exemplars_negatives_and_attributes_and_a_refused_put_changes_nothing()
    {
        (string, string)[] fields = [("classes", "red star, blue circle"), ("not", "a photo of a blue circle."), ("attributes", "green square: green square, purple square")];
        using (var put = await server.Http.PutAsync("/v1/classsets/prompted", FormWithoutImage([("red star=red_star_0.jpg", "red_star_0.jpg"), ("green square=g.jpg", "green_square_0.jpg")], fields)))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var info = JsonNode.Parse(await server.Http.GetStringAsync("/v1/classsets/prompted"))!;
        Assert.Equal(["red star", "blue circle", "green square"], info["classes"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(["a photo of a blue circle."], info["not"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(["green square: green square, purple square"], info["attributes"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(1, info["exemplars"]!["green square"]!.GetValue<int>());

        var inline = await Detections(Form([("red star=red_star_0.jpg", "red_star_0.jpg"), ("green square=g.jpg", "green_square_0.jpg")], fields));
        var byName = await Detections(Form([], ("classSet", "prompted")));
        Assert.Equal(inline, byName);
        Assert.Contains("\"attribute\"", byName, StringComparison.Ordinal);

        // A replacement with a broken exemplar is refused whole: the stored set answers as before, and a refused new name is not stored.
        var broken = new MultipartFormDataContent { { new StringContent("blue circle"), "classes" } };
        broken.Add(new ByteArrayContent("not an image"u8.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("image/png") } }, "class_image", "blue circle=x.png");
        using (var refused = await server.Http.PutAsync("/v1/classsets/prompted", broken))
        {
            await Problems.AssertAsync(refused, 422, "class_image[0]");
        }

        Assert.Equal(byName, await Detections(Form([], ("classSet", "prompted"))));
        using (var refusedNew = await server.Http.PutAsJsonAsync("/v1/classsets/never-stored", new { classes = new[] { "red star" }, not = new[] { "red star" } }))
        {
            var problem = await Problems.AssertAsync(refusedNew, 400, "not");
            Assert.EndsWith("a prompt cannot be looked for and rejected at once.", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using var missing = await server.Http.GetAsync("/v1/classsets/never-stored");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var delete = await server.Http.DeleteAsync("/v1/classsets/prompted");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
    }

    [Fact]
    public async Task A_pack_without_an_image_encoder_refuses_exemplars_and_attributes_with_422_and_still_detects_text()
    {
        using var pack = new TempDir();
        foreach (var file in new[] { "detector.onnx", "text.onnx", "vocab.bpe.txt" })
        {
            File.Copy(Path.Combine(TestPaths.ShapesPack, file), pack.File(file));
        }

        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.ShapesPack, "openvocab.json")))!.AsObject();
        manifest.Remove("imageEncoder");
        File.WriteAllText(pack.File("openvocab.json"), manifest.ToJsonString());

        var (app, rest, _) = await ServerFixture.StartAsync([$"--Server:Model={pack.Path}"]);
        try
        {
            using var http = new HttpClient { BaseAddress = rest, Timeout = TimeSpan.FromSeconds(60) };
            using (var exemplar = await http.PostAsync("/v1/detect", Form([("red star=red_star_0.jpg", "red_star_0.jpg")], ("classes", "blue circle"))))
            {
                var problem = await Problems.AssertAsync(exemplar, 422, "class_image");
                Assert.Contains("no CLIP image encoder", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }

            using (var attributes = await http.PostAsync("/v1/detect", Form([], ("classes", "blue circle"), ("attributes", "blue circle: blue circle, red circle"))))
            {
                await Problems.AssertAsync(attributes, 422, "attributes");
            }

            using var text = await http.PostAsync("/v1/detect", Form([], ("classes", "blue circle")));
            Assert.Equal(HttpStatusCode.OK, text.StatusCode);
            Assert.Contains("\"blue circle\"", await text.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>A detect form: the sample image, exemplar crops under class_image (file name, committed crop), and fields.</summary>
    internal static MultipartFormDataContent Form(IEnumerable<(string FileName, string Crop)> exemplars, params (string Name, string Value)[] fields) =>
        AddExemplars(ServerFixture.Form([Image], fields), exemplars);

    /// <summary>A class-set form: exemplar crops under class_image, and fields.</summary>
    private static MultipartFormDataContent FormWithoutImage(IEnumerable<(string FileName, string Crop)> exemplars, params (string Name, string Value)[] fields) =>
        AddExemplars(ServerFixture.Form([], fields), exemplars);

    private static MultipartFormDataContent AddExemplars(MultipartFormDataContent form, IEnumerable<(string FileName, string Crop)> exemplars)
    {
        foreach (var (fileName, crop) in exemplars)
        {
            var part = new ByteArrayContent(File.ReadAllBytes(LibraryDetector.Exemplar(crop)));
            part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(part, "class_image", fileName);
        }

        return form;
    }

    private async Task<string> Detections(HttpContent form)
    {
        using var response = await server.Http.PostAsync("/v1/detect", form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("results")[0].GetProperty("detections").GetRawText();
    }

    private static List<string> Labels(string detections)
    {
        using var doc = JsonDocument.Parse(detections);
        return [.. doc.RootElement.EnumerateArray().Select(d => d.GetProperty("label").GetString()!)];
    }
}
