using OpenVocab.Detection;

namespace OpenVocab.Tracking;

/// <summary>
/// Multi-object tracker in the manner of ByteTrack: a constant-velocity Kalman filter per track, a first IoU
/// association of high-score detections with all live tracks, a second association of low-score detections with the
/// tracks still unmatched (recovering occluded objects), tentative tracks confirmed on their second hit, and lost
/// tracks kept for <see cref="TrackerOptions.MaxAge"/> frames. Each class label is tracked separately.
/// </summary>
/// <remarks>
/// <para>
/// The tracker owns ByteTrack's low-threshold rule. Its second association needs detections scoring down to
/// <see cref="TrackerOptions.LowThreshold"/>, usually below the confidence the caller wants results at. So run the
/// detector with <see cref="DetectorOptions"/> (the caller's options with the confidence lowered to the tracker's low
/// threshold) and pass everything it returns to <see cref="Update"/>; <see cref="Update"/> gives back the detections
/// a confirmed track took (with <see cref="DetectedObject.TrackId"/> set) and the untracked ones above the caller's
/// confidence (with a null id), and drops the rest. The caller sees what the detector at its own confidence would
/// have given, plus the low-score boxes that keep tracks alive.
/// </para>
/// <para>Not thread-safe: feed it one frame at a time, in order. It holds no native resources.</para>
/// </remarks>
public sealed class ByteTracker
{
    // DetectionOptions refuses a confidence of 0, so a low threshold of 0 asks the detector for everything above this.
    private const double MinDetectorConfidence = 1e-6;

    private readonly TrackerOptions _options;
    private readonly float _reportAbove;
    private readonly List<LiveTrack> _tracks = [];

    // Work lists reused frame after frame, so that steady tracking allocates only the detections it returns.
    private readonly HashSet<string> _labels = new(StringComparer.Ordinal);
    private readonly List<int> _high = [], _low = [];
    private readonly List<LiveTrack> _confirmed = [], _tentative = [], _stillTracked = [];
    private readonly Association _first = new(), _second = new(), _third = new();
    private readonly LinearAssignment _solver = new();
    private double[] _cost = [];
    private int[] _assignment = [];
    private bool[] _taken = [];
    private int?[] _ids = [];
    // Per detection of the current frame, the track that took it (for its attribute vote).
    private LiveTrack?[] _trackOf = [];
    private int _nextId = 1;
    private long _frame;

    /// <summary>Creates a tracker.</summary>
    /// <param name="options">Tracker settings; <see cref="TrackerOptions"/>' defaults when null.</param>
    /// <param name="detection">
    /// The detection settings the caller wants results at; <see cref="DetectionOptions.Default"/> when null. Their
    /// confidence decides which untracked detections <see cref="Update"/> keeps, and <see cref="DetectorOptions"/> is
    /// derived from them.
    /// </param>
    public ByteTracker(TrackerOptions? options = null, DetectionOptions? detection = null)
    {
        _options = options ?? new TrackerOptions();
        detection ??= DetectionOptions.Default;
        _reportAbove = (float)detection.Confidence;
        var needed = Math.Max(_options.LowThreshold, MinDetectorConfidence);
        DetectorOptions = needed < detection.Confidence ? detection with { Confidence = needed } : detection;
    }

    /// <summary>The settings.</summary>
    public TrackerOptions Options => _options;

    /// <summary>
    /// The options to run the detector with for this tracker: the caller's detection options with the confidence
    /// lowered to <see cref="TrackerOptions.LowThreshold"/> when that is lower (a low threshold of 0 asks for every
    /// score above 1e-6), so the second association sees the low-score boxes it can use.
    /// </summary>
    public DetectionOptions DetectorOptions { get; }

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
    /// Feeds one frame's detections (as returned by a detector run with <see cref="DetectorOptions"/>) and returns the
    /// ones kept, in their input order: each detection that continues or starts a confirmed track, with
    /// <see cref="DetectedObject.TrackId"/> set, and each other detection scoring above the caller's confidence, with a
    /// null id (a tentative track's first frame, or a box no track took). Low-score detections no track took are
    /// dropped. The returned array is new and belongs to the caller.
    /// </summary>
    public DetectedObject[] Update(IReadOnlyList<DetectedObject> detections)
    {
        ArgumentNullException.ThrowIfNull(detections);
        _frame++;
        if (_ids.Length < detections.Count)
        {
            _ids = new int?[detections.Count];
            _trackOf = new LiveTrack?[detections.Count];
        }

        Array.Clear(_trackOf);

        var ids = _ids.AsSpan(0, detections.Count);
        ids.Clear();
        foreach (var track in _tracks)
        {
            track.Filter.Predict();
        }

        _labels.Clear();
        for (var i = 0; i < detections.Count; i++)
        {
            _labels.Add(detections[i].Label);
        }

        foreach (var t in _tracks)
        {
            _labels.Add(t.Label);
        }

        foreach (var label in _labels)
        {
            UpdateLabel(label, detections, _ids);
        }

        _tracks.RemoveAll(t => t.Removed);

        var kept = 0;
        for (var i = 0; i < detections.Count; i++)
        {
            if (Keeps(detections[i], ids[i]))
            {
                kept++;
            }
        }

        var result = new DetectedObject[kept];
        for (int i = 0, k = 0; i < detections.Count; i++)
        {
            if (Keeps(detections[i], ids[i]))
            {
                // A tracked box carries its track's attribute vote: steadier than one frame's crop.
                var voted = ids[i] is not null ? _trackOf[i]?.VotedAttribute() : null;
                result[k++] = detections[i] with { TrackId = ids[i], Attribute = voted ?? detections[i].Attribute };
            }
        }

        return result;
    }

    // Compared in single precision, as the detector compares its confidence.
    private bool Keeps(DetectedObject d, int? id) => id is not null || d.Score > _reportAbove;

    private void UpdateLabel(string label, IReadOnlyList<DetectedObject> detections, int?[] ids)
    {
        var (high, low) = (_high, _low);
        high.Clear();
        low.Clear();
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

        var (confirmed, tentative) = (_confirmed, _tentative);
        confirmed.Clear();
        tentative.Clear();
        foreach (var t in _tracks)
        {
            if (string.Equals(t.Label, label, StringComparison.Ordinal))
            {
                (t.State == TrackState.Tentative ? tentative : confirmed).Add(t);
            }
        }

        // 1. High-score detections against every confirmed track, tracked or lost.
        Associate(confirmed, high, detections, _options.MatchIoU, _first);
        foreach (var (t, d) in _first.Matches)
        {
            Hit(t, detections[d]);
            ids[d] = t.Id;
            _trackOf[d] = t;
        }

        // 2. Low-score detections against tracks that were tracked until now and found nothing in pass 1.
        _stillTracked.Clear();
        foreach (var t in _first.RestTracks)
        {
            if (t.State == TrackState.Tracked)
            {
                _stillTracked.Add(t);
            }
        }

        Associate(_stillTracked, low, detections, _options.SecondMatchIoU, _second);
        foreach (var (t, d) in _second.Matches)
        {
            Hit(t, detections[d]);
            ids[d] = t.Id;
            _trackOf[d] = t;
        }

        foreach (var t in _first.RestTracks)
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
        Associate(tentative, _first.RestDetections, detections, Math.Max(_options.MatchIoU, 0.3), _third);
        foreach (var (t, d) in _third.Matches)
        {
            Hit(t, detections[d]);
            t.State = TrackState.Tracked;
            ids[d] = t.Id;
            _trackOf[d] = t;
        }

        foreach (var t in _third.RestTracks)
        {
            t.Removed = true;
        }

        // 4. New tracks. On the very first frame they are confirmed at once, as in ByteTrack.
        foreach (var d in _third.RestDetections)
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
                _trackOf[d] = track;
            }
        }
    }

    private void Hit(LiveTrack t, DetectedObject d)
    {
        t.Filter.Update(d.Box);
        t.Score = d.Score;
        t.Vote(d.Attribute);
        t.Hits++;
        t.LastFrame = _frame;
        if (t.State == TrackState.Lost)
        {
            t.State = TrackState.Tracked;
        }
    }

    /// <summary>Matches <paramref name="tracks"/> to the detections <paramref name="dets"/> by IoU into <paramref name="into"/>
    /// (cleared first; it must not be one of the inputs).</summary>
    private void Associate(List<LiveTrack> tracks, List<int> dets, IReadOnlyList<DetectedObject> detections, double minIoU, Association into)
    {
        into.Clear();
        int rows = tracks.Count, cols = dets.Count;
        if (_cost.Length < rows * cols)
        {
            _cost = new double[rows * cols];
        }

        if (_assignment.Length < rows)
        {
            _assignment = new int[rows];
        }

        if (_taken.Length < cols)
        {
            _taken = new bool[cols];
        }

        for (var i = 0; i < rows; i++)
        {
            var box = tracks[i].Filter.Box;
            for (var j = 0; j < cols; j++)
            {
                _cost[(i * cols) + j] = 1 - BoundingBox.IoU(box, detections[dets[j]].Box);
            }
        }

        var assignment = _assignment.AsSpan(0, rows);
        _solver.Solve(_cost.AsSpan(0, rows * cols), rows, cols, 1 - minIoU, assignment);
        var taken = _taken.AsSpan(0, cols);
        taken.Clear();
        for (var i = 0; i < rows; i++)
        {
            if (assignment[i] >= 0)
            {
                into.Matches.Add((tracks[i], dets[assignment[i]]));
                taken[assignment[i]] = true;
            }
            else
            {
                into.RestTracks.Add(tracks[i]);
            }
        }

        for (var j = 0; j < cols; j++)
        {
            if (!taken[j])
            {
                into.RestDetections.Add(dets[j]);
            }
        }
    }

    /// <summary>The outcome of one association pass, kept between frames to reuse its lists.</summary>
    private sealed class Association
    {
        public List<(LiveTrack Track, int Detection)> Matches { get; } = [];

        public List<LiveTrack> RestTracks { get; } = [];

        public List<int> RestDetections { get; } = [];

        public void Clear()
        {
            Matches.Clear();
            RestTracks.Clear();
            RestDetections.Clear();
        }
    }

    private sealed class LiveTrack
    {
        // Attribute label -> (sum of its probabilities over the frames it was voted in, frames); null until a vote.
        private Dictionary<string, (double Sum, int Frames)>? _votes;
        private int _voters;

        public LiveTrack(int id, string label, DetectedObject first, long frame)
        {
            Id = id;
            Label = label;
            Filter = new KalmanBoxFilter(first.Box);
            Score = first.Score;
            LastFrame = frame;
            Vote(first.Attribute);
        }

        public int Id { get; }

        public string Label { get; }

        public KalmanBoxFilter Filter { get; }

        public float Score { get; set; }

        public TrackState State { get; set; }

        public int Hits { get; set; } = 1;

        public long LastFrame { get; set; }

        public bool Removed { get; set; }

        public Track Snapshot(long frame) => new(Id, Label, Filter.Box, Score, State, Hits, (int)(frame - LastFrame)) { Attribute = VotedAttribute() };

        /// <summary>Adds one frame's attribute (its whole top-k, weighted by probability) to the track's vote.</summary>
        public void Vote(AttributeResult? attribute)
        {
            if (attribute is null)
            {
                return;
            }

            _votes ??= new Dictionary<string, (double, int)>(StringComparer.Ordinal);
            _voters++;
            foreach (var p in attribute.TopK)
            {
                var (sum, frames) = _votes.GetValueOrDefault(p.Label);
                _votes[p.Label] = (sum + p.Score, frames + 1);
            }
        }

        /// <summary>
        /// The vote so far: labels by summed probability over the frames with an attribute, each scored by its mean
        /// probability over those frames (a label outside a frame's top-k counts 0 there); null when nothing voted.
        /// </summary>
        public AttributeResult? VotedAttribute()
        {
            if (_votes is null)
            {
                return null;
            }

            var ranked = _votes
                .Select((v, i) => new OpenVocab.Classification.ZeroShotPrediction(v.Key, i, (float)(v.Value.Sum / _voters), float.NaN))
                .OrderByDescending(p => p.Score).ThenBy(p => p.Label, StringComparer.Ordinal).ToArray();
            return new AttributeResult(ranked[0].Label, ranked[0].Score, ranked);
        }
    }
}
