using OpenVocab.Detection;
using OpenVocab.Inference;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace OpenVocab.Tests.Inference;

public class ExecutionProviderTests
{
    [Theory]
    [InlineData(ExecutionProvider.Cuda)]
    [InlineData(ExecutionProvider.TensorRT)]
    [InlineData(ExecutionProvider.OpenVino)]
    public void A_provider_missing_from_the_native_package_falls_back_to_cpu_with_a_warning(ExecutionProvider provider)
    {
        if (OnnxSessionFactory.AvailableProviders().Any(p => p.StartsWith(provider.ToString(), StringComparison.OrdinalIgnoreCase)))
        {
            return; // a GPU build of this machine really has it; the fallback cannot be provoked here
        }

        var logger = new ListLogger();
        using var detector = Detector.Load(TestPaths.ShapesPack, new InferenceOptions { Provider = provider }, logger);
        var image = Path.Combine(ShapesWorld.Images, ShapesWorld.Dataset.Images[0].FileName);
        Assert.NotEmpty(detector.Detect(image, classes: detector.CreateClassSet(ShapesWorld.AllClasses)).Detections);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains(provider.ToString(), StringComparison.Ordinal)
            && e.Message.Contains("CPU", StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_options_are_rejected_with_their_name()
    {
        Assert.Equal("DeviceId", Assert.Throws<ArgumentOutOfRangeException>(() => new InferenceOptions { DeviceId = -1 }).ParamName);
        Assert.Equal("IntraOpThreads", Assert.Throws<ArgumentOutOfRangeException>(() => new InferenceOptions { IntraOpThreads = -2 }).ParamName);
    }
}
