using System.Diagnostics;
using OpenCvSharp;
using OpenVocab.Cameras.Analytics;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Events;
using OpenVocab.Detection;
using OpenVocab.Video;

namespace OpenVocab.Cameras.Hosting;

/// <summary>
/// The last stage of a camera's pipeline: runs its <see cref="SceneAnalyzer"/> on each tracked frame, turns what it
/// finds into <see cref="CameraEvent"/>s (with a JPEG when asked) and counts, and posts them to every sink (which
/// never blocks). Called by the pipeline's post stage, one frame at a time, in order.
/// </summary>
internal sealed class AnalyticsFrameSink(CameraConfig camera, IReadOnlyList<EventSink> sinks, string? silo, Action<long> countEvents) : IFrameSink
{
    private SceneAnalyzer? _analyzer;
    private (int W, int H) _size;
    private SceneCounts? _lastCounts;
    private long _lastCountsAt;

    public void Write(FrameResult result, Mat frame)
    {
        if (_analyzer is null || _size != (result.Width, result.Height))
        {
            _analyzer = SceneAnalyzer.ForCamera(camera, result.Width, result.Height);
            _size = (result.Width, result.Height);
        }

        var capturedAt = Stopwatch.GetTimestamp() - (long)(result.LatencyMs / 1000 * Stopwatch.Frequency);
        var wallClock = DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(result.LatencyMs);
        var found = _analyzer.Update(result.Timestamp, result.Detections);
        long emitted = 0;
        foreach (var e in found)
        {
            if (!camera.Events.Contains(e.Kind))
            {
                continue;
            }

            var ev = new CameraEvent(CameraEvent.NewId(), camera.Name, e.Kind, wallClock, result.FrameIndex, result.Timestamp, e.Detection)
            {
                Zone = e.Zone,
                Line = e.Line,
                Dwell = e.Dwell,
                Silo = silo,
            };
            if (camera.Snapshot != SnapshotMode.None)
            {
                ev = ev with { Snapshot = Snapshot(frame, e.Detection.Box), SnapshotType = camera.Snapshot == SnapshotMode.Crop ? "crop" : "frame" };
            }

            var message = new SinkMessage(camera.Name, false, ev.Id, EventJson.Serialize(ev), capturedAt);
            foreach (var sink in sinks)
            {
                sink.Post(message);
            }

            emitted++;
        }

        if (emitted > 0)
        {
            countEvents(emitted);
        }

        var counts = _analyzer.Counts;
        var due = Stopwatch.GetElapsedTime(_lastCountsAt) >= camera.CountsInterval;
        if ((counts.Zones.Count > 0 || counts.Lines.Count > 0) && (due || !SameCounts(counts, _lastCounts)))
        {
            _lastCounts = counts;
            _lastCountsAt = Stopwatch.GetTimestamp();
            var message = new SinkMessage(camera.Name, true, null, EventJson.SerializeCounts(camera.Name, wallClock, counts, silo), capturedAt);
            foreach (var sink in sinks)
            {
                sink.Post(message);
            }
        }
    }

    private byte[] Snapshot(Mat frame, BoundingBox box)
    {
        if (camera.Snapshot == SnapshotMode.Frame)
        {
            return frame.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, 85));
        }

        var x1 = Math.Clamp((int)Math.Floor(box.X1), 0, frame.Width - 1);
        var y1 = Math.Clamp((int)Math.Floor(box.Y1), 0, frame.Height - 1);
        var x2 = Math.Clamp((int)Math.Ceiling(box.X2), x1 + 1, frame.Width);
        var y2 = Math.Clamp((int)Math.Ceiling(box.Y2), y1 + 1, frame.Height);
        using var crop = new Mat(frame, new Rect(x1, y1, x2 - x1, y2 - y1));
        return crop.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, 85));
    }

    private static bool SameCounts(SceneCounts a, SceneCounts? b) =>
        b is not null &&
        a.Lines.All(l => b.Lines.TryGetValue(l.Key, out var o) && o == l.Value) &&
        a.Zones.All(z => b.Zones.TryGetValue(z.Key, out var o) && o.Total == z.Value.Total &&
            o.ByLabel.Count == z.Value.ByLabel.Count && z.Value.ByLabel.All(kv => o.ByLabel.GetValueOrDefault(kv.Key) == kv.Value));
}
