namespace OpenVocab.Tests.Detection;

/// <summary>
/// Floors just under what docs/prompting.md measured on the ShapesWorld eval set; the full tables come from
/// <see cref="PromptingMeasureTests"/>.
/// </summary>
public class PromptingAccuracyTests(DetectorFixture fixture) : IClassFixture<DetectorFixture>
{
    [Fact]
    public void Five_exemplars_with_the_text_keep_seen_classes_and_lift_held_out_ones()
    {
        // Measured: text only 0.928 / 0.849; text + 5 exemplars 0.924 / 0.891.
        var (seen, heldOut) = PromptingMeasurements.ExemplarMap(fixture.Detector, 5, withText: true);
        Assert.True(seen >= 0.915, $"seen mAP50 {seen:0.000}");
        Assert.True(heldOut >= 0.88, $"held-out mAP50 {heldOut:0.000}");
    }

    [Fact]
    public void The_colour_attribute_of_detected_shapes_is_right()
    {
        // Measured: 0.983 over 711 matched boxes.
        var (accuracy, boxes) = PromptingMeasurements.AttributeAccuracy(fixture.Detector);
        Assert.True(boxes >= 690, $"only {boxes} matched boxes");
        Assert.True(accuracy >= 0.97, $"colour attribute accuracy {accuracy:0.000}");
    }
}
