using System.Collections.Frozen;

namespace OpenVocab.Detection;

/// <summary>
/// Post-processing settings, with ultralytics predict's defaults. Immutable; every value is validated when set,
/// including through <c>with</c> expressions.
/// </summary>
public sealed record DetectionOptions
{
    private readonly double _confidence = 0.25;
    private readonly double _iou = 0.7;
    private readonly int _maxDetections = 300;
    private readonly int _maxCandidates = 30000;
    private readonly IReadOnlySet<int>? _classFilter;
    private readonly IReadOnlyDictionary<string, double>? _classConfidence;

    /// <summary>The default settings.</summary>
    public static DetectionOptions Default { get; } = new();

    /// <summary>
    /// Minimum score, exclusive: a box is kept when its best class score is greater than this (compared in single
    /// precision, as torch does). Range [0, 1]; default 0.25. 0 keeps every box NMS keeps (ultralytics accepts it, and
    /// evaluation wants the whole ranking); 1 keeps nothing, since sigmoid scores stay below 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1], or NaN.</exception>
    public double Confidence
    {
        get => _confidence;
        init
        {
            if (!(value >= 0 && value <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(Confidence), value, "Confidence must be in [0, 1].");
            }

            _confidence = value;
        }
    }

    /// <summary>
    /// Per-class minimum scores by class label, overriding <see cref="Confidence"/> for those classes (some prompts
    /// score lower than others: "red star" may need 0.4 where the rest do with 0.25). Applied where
    /// <see cref="Confidence"/> is: after each box's best class is chosen and before NMS, so a box under its class's
    /// threshold suppresses nothing. Each value in [0, 1], as for <see cref="Confidence"/>; null (default) or empty uses <see cref="Confidence"/> for
    /// all. A label that is not in the class set of a detect call is an error of that call (nothing is run).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A value outside [0, 1], or NaN.</exception>
    /// <exception cref="ArgumentException">A blank label, or one given twice once trimmed.</exception>
    public IReadOnlyDictionary<string, double>? ClassConfidence
    {
        get => _classConfidence;
        init
        {
            if (value is null || value.Count == 0)
            {
                _classConfidence = null;
                return;
            }

            // A private copy with trimmed labels: the options stay immutable even if the caller's map changes later.
            var copy = new Dictionary<string, double>(value.Count, StringComparer.Ordinal);
            foreach (var (label, threshold) in value)
            {
                if (string.IsNullOrWhiteSpace(label))
                {
                    throw new ArgumentException("A per-class confidence has a blank class label.", nameof(ClassConfidence));
                }

                if (!(threshold >= 0 && threshold <= 1))
                {
                    throw new ArgumentOutOfRangeException(nameof(ClassConfidence), threshold, $"The confidence for class '{label.Trim()}' must be in [0, 1].");
                }

                if (!copy.TryAdd(label.Trim(), threshold))
                {
                    throw new ArgumentException($"The confidence for class '{label.Trim()}' is given twice.", nameof(ClassConfidence));
                }
            }

            _classConfidence = copy.ToFrozenDictionary(StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// NMS threshold: a box whose IoU with a kept, higher-scored box is greater than this is suppressed.
    /// Range [0, 1]; default 0.7.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1].</exception>
    public double IoU
    {
        get => _iou;
        init
        {
            if (!(value >= 0 && value <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(IoU), value, "IoU must be in [0, 1].");
            }

            _iou = value;
        }
    }

    /// <summary>Most detections returned per image, highest scores first. At least 1; default 300.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int MaxDetections
    {
        get => _maxDetections;
        init
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxDetections), value, "MaxDetections must be at least 1.");
            }

            _maxDetections = value;
        }
    }

    /// <summary>
    /// Most boxes passed into NMS (ultralytics <c>max_nms</c>): the highest-scored are kept. At least 1; default 30000.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int MaxCandidates
    {
        get => _maxCandidates;
        init
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxCandidates), value, "MaxCandidates must be at least 1.");
            }

            _maxCandidates = value;
        }
    }

    /// <summary>
    /// Whether a negative prompt's box also removes kept boxes it overlaps (IoU above <see cref="IoU"/>) with a higher
    /// score. False: only anchors whose best prompt is a negative are dropped. Measured both ways (docs/prompting.md):
    /// suppression removed no false positive that dropping the anchors had not already removed, and cost a true one.
    /// Internal, so the measurement can be repeated.
    /// </summary>
    internal bool NegativesSuppress { get; init; }

    /// <summary>Class-agnostic NMS: boxes of different classes suppress each other. Default false.</summary>
    public bool Agnostic { get; init; }

    /// <summary>
    /// When set, only boxes whose best class is in this set are kept (ultralytics <c>classes</c>: the filter applies
    /// after each box's best class is chosen, so a box whose best class is filtered out is dropped, not re-labelled).
    /// Null keeps all classes. Indices must not be negative.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative class index.</exception>
    public IReadOnlySet<int>? ClassFilter
    {
        get => _classFilter;
        init
        {
            if (value is not null)
            {
                foreach (int c in value)
                {
                    if (c < 0)
                    {
                        throw new ArgumentOutOfRangeException(nameof(ClassFilter), c, "Class indices must be >= 0.");
                    }
                }
            }

            // A private copy: the options stay immutable even if the caller's set changes later.
            _classFilter = value?.ToFrozenSet();
        }
    }
}
