using OpenVocab.Detection;

namespace OpenVocab.Tests.Detection;

public class ClosedSetMetadataTests
{
    [Fact]
    public void Parses_ultralytics_names_dict_with_both_quote_styles()
    {
        var names = ClosedSetMetadata.ParseNames("{0: 'person', 1: \"o'clock\", 2: 'traffic light'}", "m.onnx");
        Assert.Equal(["person", "o'clock", "traffic light"], names);
    }

    [Theory]
    [InlineData("['person', 'car']")]
    [InlineData("{0: 'person', 2: 'car'}")]
    [InlineData("{0: person}")]
    [InlineData("{}")]
    public void Rejects_what_is_not_a_dense_names_dict(string text)
    {
        var e = Assert.Throws<ModelMismatchException>(() => ClosedSetMetadata.ParseNames(text, "m.onnx"));
        Assert.Contains("m.onnx", e.Message, StringComparison.Ordinal);
        Assert.Equal(ClosedSetMetadata.NamesEntry, e.TensorName);
        Assert.Contains("class-name dict", e.Expected, StringComparison.Ordinal);
        Assert.Equal(text, e.Actual);
    }
}
