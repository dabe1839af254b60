using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using OpenVocab.Tests;

namespace OpenVocab.Server.Tests.Api;

/// <summary>
/// The bad-input list against the real server over loopback: each gets its status and a problem document
/// naming the field, and the server still answers a good request afterwards.
/// </summary>
[Collection(ServerGroup.Name)]
public class BadInputTests(ServerFixture server)
{
    private const string Classes = "red star, blue circle";

    public static TheoryData<string> Cases => [.. BadRequests.Keys];

    private static readonly Dictionary<string, (Func<HttpRequestMessage> Request, int Status, string Field)> BadRequests = new()
    {
        ["text file as image"] = (() => Post(Form(("notes.txt", "text/plain", "just some words, not an image"u8.ToArray())), ("classes", Classes)), 422, "images[0]"),
        ["truncated JPEG"] = (() => Post(Form(("cut.jpg", "image/jpeg", File.ReadAllBytes(ServerFixture.Sample(1))[..5000])), ("classes", Classes)), 422, "images[0]"),
        ["no classes"] = (() => Post(Form(Sample())), 400, "classes"),
        ["blank class"] = (() => Post(Form(Sample()), ("classes", "red star"), ("classes", " ")), 400, "classes[1]"),
        ["conf=2"] = (() => Post(Form(Sample()), ("classes", Classes), ("conf", "2")), 400, "conf"),
        ["conf not a number"] = (() => Post(Form(Sample()), ("classes", Classes), ("conf", "high")), 400, "conf"),
        ["5000-prompt class list"] = (() => Post(Form(Sample()), ("classes", string.Join(",", Enumerable.Range(0, 5000).Select(i => $"thing {i}")))), 400, "classes"),
        ["over-long prompt"] = (() => Post(Form(Sample()), ("classes", new string('x', 5000))), 400, "classes[0]"),
        ["duplicate classes"] = (() => Post(Form(Sample()), ("classes", "red star, red star")), 400, "classes"),
        ["unknown class in classConf"] = (() => Post(Form(Sample()), ("classes", Classes), ("classConf", "{\"green ring\": 0.5}")), 400, "classConf.green ring"),
        ["classConf not JSON"] = (() => Post(Form(Sample()), ("classes", Classes), ("classConf", "red star=0.5")), 400, "classConf"),
        ["17 images"] = (() => Post(Form([.. Enumerable.Repeat(Sample()[0], 17)]), ("classes", Classes)), 400, "images"),
        ["pixel bomb"] = (() => Post(Form(("bomb.png", "image/png", PngHeader(100_000, 100_000))), ("classes", Classes)), 413, "images[0]"),
        ["exemplar that is not an image"] = (() => PostExemplar("red star=notes.png", "just some words, not an image"u8.ToArray(), ("classes", Classes)), 422, "class_image[0]"),
        ["empty exemplar"] = (() => PostExemplar("red star=empty.png", [], ("classes", Classes)), 400, "class_image[0]"),
        ["exemplar pixel bomb"] = (() => PostExemplar("red star=bomb.png", PngHeader(100_000, 100_000), ("classes", Classes)), 413, "class_image[0]"),
        ["exemplar over the exemplar pixel limit"] = (() => PostExemplar("red star=big.png", PngHeader(5000, 5000), ("classes", Classes)), 413, "class_image[0]"),
        ["exemplar naming no class"] = (() => PostExemplar("crop.jpg", File.ReadAllBytes(ServerFixture.Sample(2)), ("classes", Classes)), 400, "class_image[0]"),
        ["exemplar labels not one per file"] = (() => PostExemplar("crop.jpg", File.ReadAllBytes(ServerFixture.Sample(2)), ("classes", Classes), ("class_image_label", "red star, blue circle")), 400, "class_image_label"),
        ["class both positive and negative"] = (() => Post(Sample(), ("classes", Classes), ("not", "Red Star")), 400, "not"),
        ["attributes for a class not in the list"] = (() => Post(Sample(), ("classes", Classes), ("attributes", "green ring: dark green ring, light green ring")), 400, "attributes"),
        ["attributes without a class"] = (() => Post(Sample(), ("classes", Classes), ("attributes", "red, blue")), 400, "attributes[0]"),
        ["classSet with negatives"] = (() => Post(Sample(), ("classSet", "any"), ("not", "red heart")), 400, "classSet"),
        ["text/plain body"] = (() => new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = new StringContent("hello") }, 415, "Content-Type"),
        ["malformed multipart"] = (() => new HttpRequestMessage(HttpMethod.Post, "/v1/detect")
        {
            Content = new ByteArrayContent("--xyz\r\nContent-Disposition: form-data; name=\"images\"; filename=\"a.jpg\"\r\n\r\nabc"u8.ToArray())
            {
                Headers = { ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz") },
            },
        }, 400, "body"),
        ["class set name with a slash"] = (() => new HttpRequestMessage(HttpMethod.Put, "/v1/classsets/a%2Fb") { Content = JsonContent("{\"classes\":[\"a\"]}") }, 400, "name"),
        ["class set as text/plain"] = (() => new HttpRequestMessage(HttpMethod.Put, "/v1/classsets/x") { Content = new StringContent("red star") }, 415, "Content-Type"),
        ["class set form with an image to detect in"] = (() => new HttpRequestMessage(HttpMethod.Put, "/v1/classsets/x") { Content = Post(Sample(), ("classes", Classes)).Content }, 400, "images"),
        ["class set body not JSON"] = (() => new HttpRequestMessage(HttpMethod.Put, "/v1/classsets/x") { Content = JsonContent("{\"classes\": [1, 2") }, 400, "$.classes[0]"),
        ["classify with one label"] = (() => Post("/v1/classify", Form(Sample()), ("labels", "red star")), 400, "labels"),
        ["embed nothing"] = (() => new HttpRequestMessage(HttpMethod.Post, "/v1/embed") { Content = JsonContent("{\"texts\":[]}") }, 400, "texts"),
        ["search with top_k 0"] = (() => new HttpRequestMessage(HttpMethod.Post, "/v1/search") { Content = JsonContent("{\"text\":\"a red star\",\"top_k\":0}") }, 400, "top_k"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_gets_its_status_and_a_problem_naming_the_field_and_the_server_goes_on(string name)
    {
        var (request, status, field) = BadRequests[name];
        using (var message = request())
        using (var response = await server.Http.SendAsync(message))
        {
            await Problems.AssertAsync(response, status, field);
        }

        await AssertStillAnswers();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_300_MB_body_is_refused_with_413_while_it_streams_and_nothing_grows(bool withLength)
    {
        // A raw socket, because the server answers and closes while the body is still coming (HttpClient would only
        // report the broken pipe). The body is generated as it is sent, never held in memory.
        var before = MemorySample.Take(0);
        var watch = Stopwatch.StartNew();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Rest.Host, server.Rest.Port);
        var stream = tcp.GetStream();
        const long size = 300L * 1024 * 1024;
        var head = "POST /v1/detect?classes=red%20star HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            + (withLength ? $"Content-Length: {size}\r\n" : "Transfer-Encoding: chunked\r\n") + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var part = Encoding.ASCII.GetBytes("--b\r\nContent-Disposition: form-data; name=\"images\"; filename=\"big.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n");
        await stream.WriteAsync(withLength ? part : [.. Encoding.ASCII.GetBytes($"{part.Length:X}\r\n"), .. part, .. "\r\n"u8]);
        using var stop = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            var chunk = new byte[64 * 1024];
            var prefix = Encoding.ASCII.GetBytes($"{chunk.Length:X}\r\n");
            try
            {
                for (long sent = 0; sent < size && !stop.IsCancellationRequested; sent += chunk.Length)
                {
                    if (!withLength)
                    {
                        await stream.WriteAsync(prefix, stop.Token);
                    }

                    await stream.WriteAsync(chunk, stop.Token);
                    if (!withLength)
                    {
                        await stream.WriteAsync("\r\n"u8.ToArray(), stop.Token);
                    }
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                // the server closed the connection after refusing: expected
            }
        });
        var response = await ReadResponseAsync(stream, TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await sending;
        Assert.StartsWith("HTTP/1.1 413", response.StatusLine, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", response.Head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"field\":\"body\"", response.Body, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
        await AssertStillAnswers();
        // Buffering the body would add 300 MB to the process; what a refusal may leave is a few pooled buffers.
        AssertGrowthBelow(before, MemorySample.Take(0), managedMb: 64, residentMb: 128);
    }

    /// <summary>
    /// Growth of the process's managed heap and resident set (the server runs in this process, so its native buffers
    /// count). Only the server collection's tests run beside these, one at a time (SecurityAndLimitsTests runs alone).
    /// </summary>
    private static void AssertGrowthBelow(MemorySample before, MemorySample after, int managedMb, int residentMb)
    {
        var managed = (after.ManagedBytes - before.ManagedBytes) / 1e6;
        var resident = (after.ResidentBytes - before.ResidentBytes) / 1e6;
        Assert.True(managed < managedMb, $"managed memory grew by {managed:0.0} MB (limit {managedMb} MB)");
        Assert.True(resident < residentMb, $"resident memory grew by {resident:0.0} MB (limit {residentMb} MB; {before.ResidentBytes / 1e6:0} -> {after.ResidentBytes / 1e6:0} MB)");
    }

    /// <summary>Reads one HTTP/1.1 response (head, then a Content-Length or chunked body, or up to close).</summary>
    private static async Task<(string StatusLine, string Head, string Body)> ReadResponseAsync(Stream stream, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var received = new MemoryStream();
        var buffer = new byte[8192];
        while (true)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(buffer, cancel.Token);
            }
            catch (IOException)
            {
                n = 0;
            }

            if (n == 0)
            {
                break;
            }

            received.Write(buffer, 0, n);
            var text = Encoding.UTF8.GetString(received.ToArray());
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal) && (text.EndsWith('}') || text.EndsWith("0\r\n\r\n", StringComparison.Ordinal)))
            {
                break;
            }
        }

        var all = Encoding.UTF8.GetString(received.ToArray());
        var split = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"no HTTP response head in: {all}");
        return (all[..all.IndexOf('\r', StringComparison.Ordinal)], all[..split], all[(split + 4)..]);
    }

    [Fact]
    public async Task Repeating_every_bad_input_leaves_memory_at_its_baseline()
    {
        async Task Round()
        {
            foreach (var (request, _, _) in BadRequests.Values)
            {
                using var message = request();
                using var response = await server.Http.SendAsync(message);
                _ = await response.Content.ReadAsByteArrayAsync();
            }
        }

        // The first round fills pools and caches; what later rounds add would be a leak, managed or native (a decoded
        // image or an ONNX buffer kept per refused request would add tens of MB over 20 rounds).
        await Round();
        var before = MemorySample.Take(0);
        for (var i = 0; i < 20; i++)
        {
            await Round();
        }

        AssertGrowthBelow(before, MemorySample.Take(0), managedMb: 16, residentMb: 48);
        await AssertStillAnswers();
    }

    [Fact]
    public async Task A_slowloris_client_is_cut_off_while_others_are_served()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Rest.Host, server.Rest.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync("POST /v1/detect HTTP/1.1\r\nHost: 127.0.0.1\r\n"u8.ToArray());
        var watch = Stopwatch.StartNew();
        var closed = false;
        var buffer = new byte[4096];
        while (watch.Elapsed < TimeSpan.FromSeconds(30) && !closed)
        {
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"X-Slow-{watch.ElapsedMilliseconds}: 1\r\n"));
                await AssertStillAnswers(); // the slow client holds nothing the others need
                using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                closed = await stream.ReadAsync(buffer, wait.Token) is var n && n >= 0;
            }
            catch (OperationCanceledException)
            {
                // nothing from the server yet: drip another header
            }
            catch (IOException)
            {
                closed = true;
            }
        }

        Assert.True(closed, "the server kept a client that never finished its headers for 30 s");
        Assert.InRange(watch.Elapsed.TotalSeconds, 1, 15); // the fixture's header timeout is 3 s
    }

    [Fact]
    public async Task Unknown_routes_and_methods_are_problem_documents_too()
    {
        using var missing = await server.Http.GetAsync("/v1/nothing-here");
        await Problems.AssertAsync(missing, 404, null);
        using var method = await server.Http.GetAsync("/v1/detect");
        await Problems.AssertAsync(method, 405, null);
    }

    private async Task AssertStillAnswers()
    {
        using var response = await server.Http.PostAsync("/v1/detect", ServerFixture.Form([ServerFixture.Sample(1)], ("classes", Classes)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"red star\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static (string Name, string Type, byte[] Data)[] Sample() => [("shapes_1.jpg", "image/jpeg", File.ReadAllBytes(ServerFixture.Sample(1)))];

    private static (string Name, string Type, byte[] Data)[] Form(params (string Name, string Type, byte[] Data)[] files) => files;

    private static HttpRequestMessage Post((string Name, string Type, byte[] Data)[] files, params (string Name, string Value)[] fields) =>
        Post("/v1/detect", files, fields);

    private static HttpRequestMessage Post(string route, (string Name, string Type, byte[] Data)[] files, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, type, data) in files)
        {
            var part = new ByteArrayContent(data);
            part.Headers.ContentType = new MediaTypeHeaderValue(type);
            form.Add(part, "images", name);
        }

        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        return new HttpRequestMessage(HttpMethod.Post, route) { Content = form };
    }

    /// <summary>A detect request with the sample image and one exemplar part (class_image) under the given file name.</summary>
    private static HttpRequestMessage PostExemplar(string fileName, byte[] data, params (string Name, string Value)[] fields)
    {
        var request = Post(Sample(), fields);
        var part = new ByteArrayContent(data);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        ((MultipartFormDataContent)request.Content!).Add(part, "class_image", fileName);
        return request;
    }

    private static HttpRequestMessage Post(HttpContent content, params (string Name, string Value)[] query) =>
        new(HttpMethod.Post, "/v1/detect?" + string.Join("&", query.Select(q => $"{q.Name}={Uri.EscapeDataString(q.Value)}"))) { Content = content };

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>A PNG signature and header chunk claiming the given size; no pixel data.</summary>
    private static byte[] PngHeader(uint width, uint height)
    {
        var bytes = new byte[64];
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' }.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20), height);
        bytes[24] = 8;
        bytes[25] = 2;
        return bytes;
    }
}
