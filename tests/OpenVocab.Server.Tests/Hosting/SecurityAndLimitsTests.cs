using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;

namespace OpenVocab.Server.Tests.Hosting;

/// <summary>
/// Servers of their own (API key, one request slot, shutdown), each on free loopback ports, stopped at the end.
/// They run alone, after the shared server's tests, because loading their models would move the resident memory that
/// the bad-input tests read.
/// </summary>
[Collection(AloneGroup.Name)]
public class SecurityAndLimitsTests
{
    private const string Key = "s3cret-key-for-tests";

    [Fact]
    public async Task Without_the_right_key_every_route_but_health_is_401_and_counted()
    {
        var (app, rest, _) = await ServerFixture.StartAsync([$"--Server:ApiKey={Key}"]);
        await using var _app = app;
        using var http = new HttpClient { BaseAddress = rest };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);

        var rejectedBefore = await Rejected(http, "unauthorized");
        using (var none = await http.PostAsync("/v1/detect", ServerFixture.Form([ServerFixture.Sample(1)], ("classes", "red star"))))
        {
            await Problems.AssertAsync(none, 401, "X-Api-Key");
        }

        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1/info") { Headers = { { "X-Api-Key", Key + "x" } } })
        using (var response = await http.SendAsync(wrong))
        {
            await Problems.AssertAsync(response, 401, "X-Api-Key");
        }

        using (var bearer = new HttpRequestMessage(HttpMethod.Get, "/v1/info") { Headers = { { "Authorization", "Bearer " + Key } } })
        using (var response = await http.SendAsync(bearer))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var right = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = ServerFixture.Form([ServerFixture.Sample(1)], ("classes", "red star")), Headers = { { "X-Api-Key", Key } } })
        using (var response = await http.SendAsync(right))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(rejectedBefore + 2, await Rejected(http, "unauthorized"));
    }

    [Fact]
    public async Task When_the_queue_is_full_requests_get_503_with_retry_after_and_the_held_one_still_finishes()
    {
        var (app, rest, _) = await ServerFixture.StartAsync(["--Server:MaxConcurrentRequests=1", "--Server:QueueLimit=0"]);
        await using var _app = app;
        using var http = new HttpClient { BaseAddress = rest };

        // Request A takes the only slot and holds it by sending its body slowly.
        await using var slow = await SlowRequest.StartAsync(rest);
        await Task.Delay(500);
        using (var refused = await http.PostAsync("/v1/detect", ServerFixture.Form([ServerFixture.Sample(1)], ("classes", "red star"))))
        {
            await Problems.AssertAsync(refused, 503, null);
            Assert.NotNull(refused.Headers.RetryAfter);
        }

        var status = await slow.FinishAsync();
        Assert.StartsWith("HTTP/1.1 200", status, StringComparison.Ordinal);
        using var after = await http.PostAsync("/v1/detect", ServerFixture.Form([ServerFixture.Sample(1)], ("classes", "red star")));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Shutdown_lets_the_running_request_finish_and_refuses_new_ones()
    {
        var (app, rest, _) = await ServerFixture.StartAsync(["--Server:ShutdownTimeoutSeconds=20"]);
        await using var _app = app;
        using var http = new HttpClient { BaseAddress = rest };
        await using var slow = await SlowRequest.StartAsync(rest);
        await Task.Delay(300);

        var stopping = app.StopAsync();
        await Task.Delay(300);
        Assert.False(stopping.IsCompleted, "the server stopped without waiting for the running request");
        var refusedOrClosed = false;
        try
        {
            using var late = await http.GetAsync("/v1/info");
            refusedOrClosed = late.StatusCode == HttpStatusCode.ServiceUnavailable;
        }
        catch (HttpRequestException)
        {
            refusedOrClosed = true; // no new connections are accepted any more
        }

        Assert.True(refusedOrClosed, "a request that arrived during shutdown was served");
        var status = await slow.FinishAsync();
        Assert.StartsWith("HTTP/1.1 200", status, StringComparison.Ordinal);
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("--Server:Url=http://example.com:80", "Server:Url")]
    [InlineData("--Server:MaxBatch=0", "MaxBatch")]
    [InlineData("--Server:Device=tpu", "Server:Device")]
    [InlineData("--Server:Model=/no/such/pack", "Server:Model")]
    public async Task Bad_settings_stop_the_start_with_a_message_naming_the_key(string setting, string named)
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            var app = OpenVocabServer.Build([$"--Server:Model={OpenVocab.Tests.TestPaths.ShapesPack}", "--Server:Url=http://127.0.0.1:0", "--Server:GrpcUrl=", setting]);
            await using var _app = app;
            await app.StartAsync();
        });
        Assert.Contains(named, string.Join(" ", e.Failures), StringComparison.Ordinal);
    }

    private static async Task<double> Rejected(HttpClient http, string reason)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { { "X-Api-Key", Key } } };
        using var response = await http.SendAsync(request);
        var line = (await response.Content.ReadAsStringAsync()).Split('\n').FirstOrDefault(l => l.StartsWith($"openvocab_rejected_requests_total{{reason=\"{reason}\"}}", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A detect request whose body arrives slowly over a raw socket, holding its request slot until finished.</summary>
    private sealed class SlowRequest : IAsyncDisposable
    {
        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;
        private readonly byte[] _rest;

        private SlowRequest(TcpClient tcp, byte[] rest)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
            _rest = rest;
        }

        public static async Task<SlowRequest> StartAsync(Uri rest)
        {
            var image = await File.ReadAllBytesAsync(ServerFixture.Sample(1));
            var body = new MemoryStream();
            body.Write(Encoding.ASCII.GetBytes("--b\r\nContent-Disposition: form-data; name=\"images\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"));
            body.Write(image);
            body.Write(Encoding.ASCII.GetBytes("\r\n--b\r\nContent-Disposition: form-data; name=\"classes\"\r\n\r\nred star\r\n--b--\r\n"));
            var bytes = body.ToArray();
            var tcp = new TcpClient();
            await tcp.ConnectAsync(rest.Host, rest.Port);
            var request = new SlowRequest(tcp, bytes[1000..]);
            await request._stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"POST /v1/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"));
            await request._stream.WriteAsync(bytes.AsMemory(0, 1000));
            return request;
        }

        /// <summary>Sends the rest of the body and returns the status line.</summary>
        public async Task<string> FinishAsync()
        {
            await _stream.WriteAsync(_rest);
            var reader = new StreamReader(_stream, Encoding.ASCII);
            var watch = Stopwatch.StartNew();
            return await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? $"(closed after {watch.Elapsed})";
        }

        public ValueTask DisposeAsync()
        {
            _tcp.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
