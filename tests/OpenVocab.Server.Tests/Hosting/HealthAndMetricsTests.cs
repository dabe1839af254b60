using System.Net;

namespace OpenVocab.Server.Tests.Hosting;

[Collection(ServerGroup.Name)]
public class HealthAndMetricsTests(ServerFixture server)
{
    [Fact]
    public async Task Health_ready_and_metrics_answer_with_the_server_series()
    {
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/healthz")).StatusCode);
        Assert.Equal("Healthy", await server.Http.GetStringAsync("/readyz"));
        using (await server.Http.PostAsync("/v1/detect", ServerFixture.Form([ServerFixture.Sample(1)], ("classes", "red star"))))
        {
        }

        var metrics = await server.Http.GetStringAsync("/metrics");
        foreach (var series in new[]
                 {
                     "http_requests_received_total{code=\"200\",method=\"POST\",controller=\"\",action=\"\",endpoint=\"/v1/detect\"}",
                     "http_request_duration_seconds_bucket{code=\"200\",method=\"POST\",controller=\"\",action=\"\",endpoint=\"/v1/detect\"",
                     "openvocab_inference_seconds_bucket", "openvocab_batch_size_bucket", "openvocab_detect_queue_depth",
                     "# TYPE openvocab_rejected_requests_total counter",
                 })
        {
            Assert.Contains(series, metrics, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_page_is_served_from_the_assembly()
    {
        var html = await server.Http.GetStringAsync("/");
        Assert.Contains("<script src=\"app.js\"", html, StringComparison.Ordinal);
        Assert.Contains("drawBoxes", await server.Http.GetStringAsync("/app.js"), StringComparison.Ordinal);
    }
}
