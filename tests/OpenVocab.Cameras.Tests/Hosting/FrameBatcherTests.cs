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
            // Eight "cameras" on threads of their own, released together each round by a barrier, two class sets: while
            // the first frame of a round runs, the other seven queue up and go as the next batch (one run per class set).
            // Thread-pool threads would not do: the pool starts about one per core, so frames would arrive one by one.
            using var start = new Barrier(frames.Count);
            var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
            var cameras = Enumerable.Range(0, frames.Count).Select(i => new Thread(() =>
            {
                try
                {
                    for (var round = 0; round < 3; round++)
                    {
                        start.SignalAndWait();
                        actual[i] = batcher.Detect(frames[i], DetectionOptions.Default, i % 2 == 0 ? circles : stars, CancellationToken.None);
                    }
                }
                catch (Exception e)
                {
                    // Recorded for the assertion below; leaving the barrier keeps the other cameras from waiting forever.
                    errors.Enqueue(e);
                    start.RemoveParticipant();
                }
            })).ToList();
            cameras.ForEach(t => t.Start());
            cameras.ForEach(t => t.Join());
            Assert.Empty(errors);

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
