using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenVocab.Server.Grpc;

namespace OpenVocab.Server.Tests.Grpc;

/// <summary>The gRPC service over real HTTP/2 on loopback, with a client generated from the repository's .proto.</summary>
[Collection(ServerGroup.Name)]
public sealed class GrpcTests(ServerFixture server) : IDisposable
{
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(server.Grpc);

    private OpenVocabService.OpenVocabServiceClient Client => new(_channel);

    public void Dispose() => _channel.Dispose();

    private static Image Sample(int i) => new() { Name = $"shapes_{i}.jpg", Data = ByteString.CopyFrom(File.ReadAllBytes(ServerFixture.Sample(i))) };

    [Fact]
    public async Task Detect_equals_the_rest_answer()
    {
        var reply = await Client.DetectAsync(new DetectRequest { Images = { Sample(1) }, Params = new DetectParams { Classes = { ServerFixture.ShapeClasses } } });
        using var rest = await server.Http.PostAsync("/v1/detect", ServerFixture.Form([ServerFixture.Sample(1)], ("classes", string.Join(",", ServerFixture.ShapeClasses))));
        using var doc = JsonDocument.Parse(await rest.Content.ReadAsStringAsync());
        var expected = doc.RootElement.GetProperty("results")[0].GetProperty("detections").EnumerateArray().ToList();
        var got = reply.Results[0].Detections;
        Assert.Equal(expected.Count, got.Count);
        for (var i = 0; i < got.Count; i++)
        {
            Assert.Equal(expected[i].GetProperty("label").GetString(), got[i].Label);
            Assert.Equal(expected[i].GetProperty("score").GetDouble(), got[i].Score, 4);
            Assert.Equal(expected[i].GetProperty("box")[2].GetDouble(), got[i].X2, 2);
        }
    }

    [Fact]
    public async Task A_stream_of_frames_gets_one_result_per_frame_in_order()
    {
        using var call = Client.DetectStream();
        for (var i = 0; i < 6; i++)
        {
            var frame = new DetectFrame { Image = Sample(i % 4 + 1) };
            if (i == 0)
            {
                frame.Params = new DetectParams { Classes = { "red star", "blue circle" } };
            }

            await call.RequestStream.WriteAsync(frame);
        }

        await call.RequestStream.CompleteAsync();
        var results = new List<DetectFrameResult>();
        await foreach (var r in call.ResponseStream.ReadAllAsync())
        {
            results.Add(r);
        }

        Assert.Equal([0L, 1, 2, 3, 4, 5], results.Select(r => r.Frame));
        Assert.Equal(results[0].Result.Detections.Select(d => d.Label), results[4].Result.Detections.Select(d => d.Label));
        Assert.Contains(results[0].Result.Detections, d => d.Label == "red star");
    }

    [Fact]
    public async Task Class_sets_classify_embed_search_and_info_work_over_grpc()
    {
        await Client.PutClassSetAsync(new PutClassSetRequest { Name = "grpc-set", Classes = { "red star" } });
        Assert.Equal(["red star"], (await Client.GetClassSetAsync(new ClassSetName { Name = "grpc-set" })).Classes);
        var byName = await Client.DetectAsync(new DetectRequest { Images = { Sample(1) }, Params = new DetectParams { ClassSet = "grpc-set" } });
        Assert.All(byName.Results[0].Detections, d => Assert.Equal("red star", d.Label));
        await Client.DeleteClassSetAsync(new ClassSetName { Name = "grpc-set" });
        var missing = await Assert.ThrowsAsync<RpcException>(() => Client.GetClassSetAsync(new ClassSetName { Name = "grpc-set" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        var classify = await Client.ClassifyAsync(new ClassifyRequest { Images = { Sample(1) }, Labels = { "red star", "blue circle" } });
        Assert.Equal(2, classify.Results[0].Predictions.Count);
        var embed = await Client.EmbedAsync(new EmbedRequest { Texts = { "a red star" } });
        using var rest = await server.Http.PostAsJsonAsync("/v1/embed", new { texts = new[] { "a red star" } });
        using var doc = JsonDocument.Parse(await rest.Content.ReadAsStringAsync());
        Assert.Equal(doc.RootElement.GetProperty("texts")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()), embed.Texts[0].Values);
        var search = await Client.SearchAsync(new SearchRequest { Image = Sample(2), TopK = 1 });
        Assert.Equal("shapes_2.jpg", search.Results[0].Path);
        var info = await Client.InfoAsync(new InfoRequest());
        Assert.Equal(320, info.InputWidth);
        Assert.Equal(4, info.IndexImages);
    }

    [Fact]
    public async Task Detect_takes_exemplars_negatives_and_attributes_and_answers_as_rest_does()
    {
        const string Negative = "a photo of a blue circle.";
        const string Attributes = "green square: green square, purple square";
        var crop = new Image { Name = "g.jpg", Data = ByteString.CopyFrom(File.ReadAllBytes(LibraryDetector.Exemplar("green_square_0.jpg"))) };
        var p = new DetectParams { Classes = { "red star", "blue circle" }, Negatives = { Negative }, Attributes = { Attributes } };
        p.ClassImages.Add(new ClassImage { Label = "green square", Image = crop });
        var reply = await Client.DetectAsync(new DetectRequest { Images = { Sample(1) }, Params = p });

        using var rest = await server.Http.PostAsync("/v1/detect", Api.PromptingApiTests.Form([("green square=g.jpg", "green_square_0.jpg")],
            ("classes", "red star, blue circle"), ("not", Negative), ("attributes", Attributes)));
        using var doc = JsonDocument.Parse(await rest.Content.ReadAsStringAsync());
        var expected = doc.RootElement.GetProperty("results")[0].GetProperty("detections").EnumerateArray().ToList();
        var got = reply.Results[0].Detections;
        Assert.Equal(expected.Select(e => e.GetProperty("label").GetString()), got.Select(d => d.Label));
        Assert.Contains(got, d => d.Label == "green square");
        for (var i = 0; i < got.Count; i++)
        {
            Assert.Equal(expected[i].GetProperty("score").GetDouble(), got[i].Score, 4);
            var hasAttribute = expected[i].TryGetProperty("attribute", out var attribute);
            Assert.Equal(hasAttribute, got[i].Attribute is not null);
            Assert.Equal(got[i].Label == "green square", hasAttribute);
            if (hasAttribute)
            {
                Assert.Equal(attribute.GetProperty("label").GetString(), got[i].Attribute.Label);
                Assert.Equal(attribute.GetProperty("score").GetDouble(), got[i].Attribute.Score, 4);
                Assert.Equal(2, got[i].Attribute.TopK.Count);
            }
        }

        Assert.True(reply.Results[0].SpeedMs.HasAttributes);

        // A class set holds them too, and answers as the inline parameters do.
        var put = new PutClassSetRequest { Name = "grpc-prompted", Classes = { "red star", "blue circle" }, Negatives = { Negative }, Attributes = { Attributes } };
        put.ClassImages.Add(new ClassImage { Label = "green square", Image = crop });
        var info = await Client.PutClassSetAsync(put);
        Assert.Equal(["red star", "blue circle", "green square"], info.Classes);
        Assert.Equal(1, info.Exemplars["green square"]);
        var byName = await Client.DetectAsync(new DetectRequest { Images = { Sample(1) }, Params = new DetectParams { ClassSet = "grpc-prompted" } });
        Assert.Equal(got.Select(d => (d.Label, d.Score, d.Attribute?.Label)), byName.Results[0].Detections.Select(d => (d.Label, d.Score, d.Attribute?.Label)));
        await Client.DeleteClassSetAsync(new ClassSetName { Name = "grpc-prompted" });

        // Bad prompts name the gRPC field.
        var both = await Assert.ThrowsAsync<RpcException>(() => Client.DetectAsync(new DetectRequest
        {
            Images = { Sample(1) },
            Params = new DetectParams { Classes = { "red star" }, Negatives = { "Red Star" } },
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, both.StatusCode);
        Assert.StartsWith("negatives:", both.Status.Detail, StringComparison.Ordinal);
        var empty = new DetectParams { Classes = { "red star" } };
        empty.ClassImages.Add(new ClassImage { Label = "red star", Image = new Image { Name = "e.png" } });
        var none = await Assert.ThrowsAsync<RpcException>(() => Client.DetectAsync(new DetectRequest { Images = { Sample(1) }, Params = empty }).ResponseAsync);
        Assert.StartsWith("class_images[0]:", none.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_errors_are_status_codes_naming_the_field()
    {
        var conf = await Assert.ThrowsAsync<RpcException>(() => Client.DetectAsync(new DetectRequest { Images = { Sample(1) }, Params = new DetectParams { Classes = { "red star" }, Conf = 2 } }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, conf.StatusCode);
        Assert.StartsWith("conf:", conf.Status.Detail, StringComparison.Ordinal);
        var text = await Assert.ThrowsAsync<RpcException>(() => Client.DetectAsync(new DetectRequest
        {
            Images = { new Image { Name = "x.txt", Data = ByteString.CopyFromUtf8("not an image") } },
            Params = new DetectParams { Classes = { "red star" } },
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, text.StatusCode);
        Assert.StartsWith("images[0]:", text.Status.Detail, StringComparison.Ordinal);
        var none = await Assert.ThrowsAsync<RpcException>(() => Client.DetectAsync(new DetectRequest { Images = { Sample(1) } }).ResponseAsync);
        Assert.StartsWith("classes:", none.Status.Detail, StringComparison.Ordinal);

        // The service still answers.
        Assert.NotEmpty((await Client.DetectAsync(new DetectRequest { Images = { Sample(1) }, Params = new DetectParams { Classes = { "red star" } } })).Results[0].Detections);
    }
}
