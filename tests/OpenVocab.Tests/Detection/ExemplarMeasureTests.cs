using Xunit.Abstractions;
using OpenVocab.Evaluation;

namespace OpenVocab.Tests.Detection;

public class ExemplarMeasureTests(DetectorFixture fixture, ITestOutputHelper output) : IClassFixture<DetectorFixture>
{
    [Fact]
    public void Measure()
    {
        var d = fixture.Detector;
        var names = ShapesWorld.AllClasses;
        foreach (var (k, text) in new[] { (0, true), (1, false), (5, false), (1, true), (5, true) })
        {
            var set = k == 0 ? d.CreateClassSet(names) : d.CreateClassSet(ShapesExemplars.Classes(names, k, text));
            var r = DetectorEvaluation.Evaluate(d, ShapesWorld.Dataset, ShapesWorld.Images, set);
            output.WriteLine($"k={k} text={text}: seen {r.Seen!.MAP50:0.000}/{r.Seen.MAP50To95:0.000} held-out {r.HeldOut!.MAP50:0.000}/{r.HeldOut.MAP50To95:0.000}");
        }
    }
}
