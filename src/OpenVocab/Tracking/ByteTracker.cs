using OpenVocab.Detection;

namespace OpenVocab.Tracking;

/// <summary>
/// Multi-object tracker in the manner of ByteTrack: a constant-velocity Kalman filter per track, a first IoU
/// association of high-score detections with all live tracks, a second association of low-score detections with the
/// tracks still unmatched (recovering occluded objects), tentative tracks confirmed on their second hit, and lost
/// tracks kept for <see cref="TrackerOptions.MaxAge"/> frames. Each class label is tracked separately.
/// Not thread-safe: feed it one frame at a time, in order.
/// </summary>
public sealed class ByteTracker
{
    private readonly TrackerOptions _options;
    private readonly List<LiveTrack> _tracks = [];
    private int _nextId = 1;
    private long _frame;

    /// <summary>Creates a tracker.</summary>
    public ByteTracker(TrackerOptions? options = null) => _options = options ?? new TrackerOptions();

    /// <summary>The settings.</summary>
    public TrackerOptions Options => _options;

    /// <summary>Frames seen so far.</summary>
    public long FrameCount => _frame;

    /// <summary>Tracks started so far (the next id minus one).</summary>
    public int TracksStarted => _nextId - 1;

    /// <summary>Confirmed tracks that are tracked or lost, as snapshots.</summary>
    public IReadOnlyList<Track> Tracks =>
        [.. _tracks.Where(t => t.State != TrackState.Tentative).Select(t => t.Snapshot(_frame))];

    /// <summary>Forgets all tracks; ids continue from where they were.</summary>
    public void Reset() => _tracks.Clear();

    /// <summary>
    /// Feeds one frame's detections. Returns, for each detection (same order), the id of the confirmed track it
    /// continues or starts, or null (a tentative track's first frame, or a detection no track took).
    /// </summary>
    public int?[] Update(IReadOnlyList<DetectedObject> detections)
    {
        ArgumentNullException.ThrowIfNull(detections);
        _frame++;
        var ids = new int?[detections.Count];
        foreach (var track in _tracks)
        {
            track.Filter.Predict();
        }

        var labels = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in detections)
        {
            labels.Add(d.Label);
        }

        foreach (var t in _tracks)
        {
            labels.Add(t.Label);
        }

        foreach (var label in labels)
        {
            UpdateLabel(label, detections, ids);
        }

        _tracks.RemoveAll(t => t.Removed);
        return ids;
    }

    private void UpdateLabel(string label, IReadOnlyList<DetectedObject> detections, int?[] ids)
    {
        var high = new List<int>();
        var low = new List<int>();
        for (var i = 0; i < detections.Count; i++)
        {
            var d = detections[i];
            if (!string.Equals(d.Label, label, StringComparison.Ordinal))
            {
                continue;
            }

            if (d.Score >= _options.HighThreshold)
            {
                high.Add(i);
            }
            else if (d.Score >= _options.LowThreshold)
            {
                low.Add(i);
            }
        }

        var confirmed = _tracks.Where(t => t.Label == label && t.State != TrackState.Tentative).ToList();
        var tentative = _tracks.Where(t => t.Label == label && t.State == TrackState.Tentative).ToList();

        // 1. High-score detections against every confirmed track, tracked or lost.
        var (m1, restTracks, restHigh) = Associate(confirmed, high, detections, _options.MatchIoU);
        foreach (var (t, d) in m1)
        {
            Hit(t, detections[d]);
            ids[d] = t.Id;
        }

        // 2. Low-score detections against tracks that were tracked until now and found nothing in pass 1.
        var stillTracked = restTracks.Where(t => t.State == TrackState.Tracked).ToList();
        var (m2, _, _) = Associate(stillTracked, low, detections, _options.SecondMatchIoU);
        foreach (var (t, d) in m2)
        {
            Hit(t, detections[d]);
            ids[d] = t.Id;
        }

        foreach (var t in restTracks)
        {
            if (t.LastFrame == _frame)
            {
                continue;
            }

            t.State = TrackState.Lost;
            if (_frame - t.LastFrame > _options.MaxAge)
            {
                t.Removed = true;
            }
        }

        // 3. Tentative tracks (seen once) against the remaining high-score detections; unmatched ones are dropped.
        var (m3, restTentative, restHigh2) = Associate(tentative, restHigh, detections, Math.Max(_options.MatchIoU, 0.3));
        foreach (var (t, d) in m3)
        {
            Hit(t, detections[d]);
            t.State = TrackState.Tracked;
            ids[d] = t.Id;
        }

        foreach (var t in restTentative)
        {
            t.Removed = true;
        }

        // 4. New tracks. On the very first frame they are confirmed at once, as in ByteTrack.
        foreach (var d in restHigh2)
        {
            if (detections[d].Score < _options.NewTrackThreshold)
            {
                continue;
            }

            var track = new LiveTrack(_nextId++, label, detections[d], _frame)
            {
                State = _frame == 1 ? TrackState.Tracked : TrackState.Tentative,
            };
            _tracks.Add(track);
            if (track.State == TrackState.Tracked)
            {
                ids[d] = track.Id;
            }
        }
    }

    private void Hit(LiveTrack t, DetectedObject d)
    {
        t.Filter.Update(d.Box);
        t.Score = d.Score;
        t.Hits++;
        t.LastFrame = _frame;
        if (t.State == TrackState.Lost)
        {
            t.State = TrackState.Tracked;
        }
    }

    private static (List<(LiveTrack Track, int Detection)> Matches, List<LiveTrack> RestTracks, List<int> RestDetections) Associate(
        List<LiveTrack> tracks, List<int> dets, IReadOnlyList<DetectedObject> detections, double minIoU)
    {
        var cost = new double[tracks.Count, dets.Count];
        for (var i = 0; i < tracks.Count; i++)
        {
            var box = tracks[i].Filter.Box;
            for (var j = 0; j < dets.Count; j++)
            {
                cost[i, j] = 1 - BoundingBox.IoU(box, detections[dets[j]].Box);
            }
        }

        var assignment = LinearAssignment.Solve(cost, 1 - minIoU);
        var matches = new List<(LiveTrack, int)>();
        var restTracks = new List<LiveTrack>();
        var taken = new bool[dets.Count];
        for (var i = 0; i < tracks.Count; i++)
        {
            if (assignment[i] >= 0)
            {
                matches.Add((tracks[i], dets[assignment[i]]));
                taken[assignment[i]] = true;
            }
            else
            {
                restTracks.Add(tracks[i]);
            }
        }

        var restDets = new List<int>();
        for (var j = 0; j < dets.Count; j++)
        {
            if (!taken[j])
            {
                restDets.Add(dets[j]);
            }
        }

        return (matches, restTracks, restDets);
    }

    private sealed class LiveTrack(int id, string label, DetectedObject first, long frame)
    {
        public int Id { get; } = id;

        public string Label { get; } = label;

        public KalmanBoxFilter Filter { get; } = new(first.Box);

        public float Score { get; set; } = first.Score;

        public TrackState State { get; set; }

        public int Hits { get; set; } = 1;

        public long LastFrame { get; set; } = frame;

        public bool Removed { get; set; }

        public Track Snapshot(long frame) => new(Id, Label, Filter.Box, Score, State, Hits, (int)(frame - LastFrame));
    }
}
