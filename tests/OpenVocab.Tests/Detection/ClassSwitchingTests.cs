using OpenVocab.Detection;

namespace OpenVocab.Tests.Detection;

public class ClassSwitchingTests
{
    [Fact]
    public void Eighty_new_prompts_take_one_encoder_run_and_a_list_seen_before_takes_none()
    {
        using var detector = Detector.Load(TestPaths.ShapesPack);
        var encoder = detector.TextEncoder!;
        var eighty = ShapesWorld.AllClasses.Concat(["a red circle", "a blue star", "a green ring", "a pink heart",
            "a cyan cross", "a yellow square", "an orange diamond", "a purple triangle"]).ToArray();
        Assert.Equal(80, eighty.Length);
        var image = Path.Combine(ShapesWorld.Images, ShapesWorld.Dataset.Images[0].FileName);

        detector.SetClasses(eighty);
        Assert.Equal(1, encoder.InferenceRuns);
        var first = detector.Detect(image).Detections;

        detector.SetClasses("red circle", "blue star");
        Assert.Equal(1, encoder.InferenceRuns); // both prompts were among the eighty
        detector.SetClasses(eighty);
        Assert.Equal(1, encoder.InferenceRuns);
        Assert.Equal(first, detector.Detect(image).Detections);

        // A list mixing seen and new prompts runs only the new ones, together.
        detector.SetClasses("red circle", "a large red circle", "a small blue star");
        Assert.Equal(2, encoder.InferenceRuns);
    }
}
