using System.Text.Json;

namespace OpenVocab.Tests.Cli;

public class BenchCliTests
{
    [Fact]
    public void Bench_json_reports_every_stage_the_onnx_share_and_the_text_cache()
    {
        var (code, stdout, stderr) = CliProcess.Run("bench", "--iterations", "5", "--warmup", "1", "--size", "640x480,1000x1000", "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(16, root.GetProperty("classes").GetInt32());
        Assert.Equal(320, root.GetProperty("inputWidth").GetInt32());
        var sizes = root.GetProperty("sizes").EnumerateArray().ToArray();
        Assert.Equal([(640, 480), (1000, 1000)], sizes.Select(s => (s.GetProperty("width").GetInt32(), s.GetProperty("height").GetInt32())));
        foreach (var size in sizes)
        {
            var stages = size.GetProperty("stagesMs");
            double Median(string stage) => stages.GetProperty(stage).GetProperty("median").GetDouble();
            Assert.All(new[] { "decode (jpeg)", "preprocess", "inference (ONNX)", "postprocess", "detect (total)", "draw" }, s => Assert.True(Median(s) > 0, s));
            Assert.True(Median("detect (total)") >= Median("inference (ONNX)"));
            Assert.True(stages.GetProperty("detect (total)").GetProperty("p95").GetDouble() >= Median("detect (total)"));
            Assert.InRange(size.GetProperty("overheadRatio").GetDouble(), 0, 10);
            // The breakdown of the overhead: the time no stage timer covers, per call (never negative: the timers nest).
            Assert.InRange(Median("outside the stages"), 0, Median("detect (total)"));
            Assert.True(size.GetProperty("allocatedBytesPerDetect").GetDouble() > 0);
        }

        var text = root.GetProperty("text");
        Assert.Equal(1, text.GetProperty("encoderRunsUncached").GetDouble());
        Assert.Equal(0, text.GetProperty("encoderRunsCached").GetDouble());
    }

    [Theory]
    [InlineData("--size", "640by480", "--size '640by480'")]
    [InlineData("--iterations", "0", "--iterations must be 1 or more")]
    public void Bad_bench_arguments_are_named(string option, string value, string message)
    {
        var (code, _, stderr) = CliProcess.Run("bench", option, value);
        Assert.Equal(1, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }
}
