using OpenCvSharp;
using OpenVocab.Cameras.Hosting;
using OpenVocab.Detection;
using OpenVocab.Tests;

namespace OpenVocab.Cameras.Tests.Hosting;

/// <summary>The batcher's batched path (Detector.DetectBatch over frames of several cameras) answers as one frame at a time.</summary>
public class FrameBatcherTests(ShapesDetectorFixture fixture) : IClassFixture<ShapesDetectorFixture>
{
    [Fact]
    public void Frames_detected_together_in_batches_equal_frames_detected_alone()
    {
        var detector = fixture.Detector;
        var circles = detector.CreateClassSet(["green square", "purple hexagon", "orange circle"]);
        var stars = detector.CreateClassSet(["red star", "blue circle"]);
        var frames = Enumerable.Range(1, 8).Select(i => Cv2.ImRead(Path.Combine(TestPaths.Samples, $"shapes_{(i % 4) + 1}.jpg"))).ToList();
        try
        {
            Assert.All(frames, f => Assert.False(f.Empty()));
            var expected = frames.Select((f, i) => detector.Detect(f, DetectionOptions.Default, i % 2 == 0 ? circles : stars)).ToList();

            using var batcher = new FrameBatcher(detector, batching: true, maxBatch: 8);
            var actual = new DetectionResult[frames.Count];
            for (var round = 0; round < 3; round++)
            {
                // Eight "cameras" at once, two class sets: batches hold several frames, one run per class set.
                Parallel.For(0, frames.Count, new ParallelOptions { MaxDegreeOfParallelism = frames.Count },
                    i => actual[i] = batcher.Detect(frames[i], DetectionOptions.Default, i % 2 == 0 ? circles : stars, CancellationToken.None));
            }

            Assert.True(expected.Sum(r => r.Detections.Count) >= 4, $"the frames should hold objects of these classes: {string.Join(",", expected.Select(r => r.Detections.Count))}");
            Assert.True(batcher.Statistics.Frames > batcher.Statistics.Batches, $"no batch held more than one frame: {batcher.Statistics}");
            for (var i = 0; i < frames.Count; i++)
            {
                Assert.Equal(expected[i].Detections.Count, actual[i].Detections.Count);
                for (var d = 0; d < expected[i].Detections.Count; d++)
                {
                    var (e, a) = (expected[i].Detections[d], actual[i].Detections[d]);
                    Assert.Equal(e.Label, a.Label);
                    Assert.Equal(e.Score, a.Score, 4);
                    Assert.Equal(e.Box.X1, a.Box.X1, 2);
                    Assert.Equal(e.Box.Y1, a.Box.Y1, 2);
                    Assert.Equal(e.Box.X2, a.Box.X2, 2);
                    Assert.Equal(e.Box.Y2, a.Box.Y2, 2);
                }
            }
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }
    }
}
