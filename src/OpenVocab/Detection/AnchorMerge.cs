namespace OpenVocab.Detection;

/// <summary>
/// Per anchor, the best score over prompts that did not go through the detector in one pass (chunks of a fixed-N
/// graph) and the label of the prompt that holds it (several prompts per label), so that one NMS afterwards sees
/// what a single pass over every prompt would give: one anchor, one class (ultralytics' NMS with
/// <c>multi_label=False</c>). The box comes from the pass whose prompt won. Ties go to the lower prompt index, as
/// <c>torch.max</c> over all prompts in one tensor would.
/// </summary>
/// <remarks>Not thread-safe: one per runner and batch item. Buffers grow to the anchor count and are reused.</remarks>
internal sealed class AnchorMerge
{
    private float[] _boxes = [];
    private float[] _best = [];
    private int[] _class = [];
    private float[] _passBest = [];
    private int[] _passClass = [];
    private int _anchors;
    private bool _empty = true;

    /// <summary>cx, cy, w, h rows of the winning passes, <c>4 · A</c> floats.</summary>
    public ReadOnlySpan<float> Boxes => _boxes.AsSpan(0, 4 * _anchors);

    /// <summary>Best score per anchor.</summary>
    public ReadOnlySpan<float> Best => _best.AsSpan(0, _anchors);

    /// <summary>Per anchor, the prompt of the best score, or its label after <see cref="MapToLabels"/>.</summary>
    public ReadOnlySpan<int> Classes => _class.AsSpan(0, _anchors);

    /// <summary>Starts a new image of <paramref name="anchors"/> anchors.</summary>
    public void Reset(int anchors)
    {
        if (_best.Length < anchors)
        {
            _boxes = new float[4 * anchors];
            _best = new float[anchors];
            _class = new int[anchors];
            _passBest = new float[anchors];
            _passClass = new int[anchors];
        }

        _anchors = anchors;
        _empty = true;
    }

    /// <summary>
    /// Folds in one pass: a yolo-layout output <c>[4 + columns, A]</c> whose first <paramref name="validColumns"/>
    /// score rows are prompts <paramref name="firstPrompt"/> onwards (the rest are padding). Passes must come in
    /// prompt order.
    /// </summary>
    public void Add(ReadOnlySpan<float> output, int columns, int validColumns, int firstPrompt)
    {
        int anchors = _anchors;
        if (output.Length != (4 + columns) * anchors || validColumns < 1 || validColumns > columns)
        {
            throw new ArgumentException($"A pass holds {output.Length} floats for {validColumns} of {columns} classes; expected [4 + {columns}, {anchors}].", nameof(output));
        }

        if (_empty)
        {
            YoloOutputDecoder.BestClass(output, anchors, validColumns, _best.AsSpan(0, anchors), _class.AsSpan(0, anchors));
            output[..(4 * anchors)].CopyTo(_boxes);
            if (firstPrompt != 0)
            {
                foreach (ref var c in _class.AsSpan(0, anchors))
                {
                    c += firstPrompt;
                }
            }

            _empty = false;
            return;
        }

        var passBest = _passBest.AsSpan(0, anchors);
        var passClass = _passClass.AsSpan(0, anchors);
        YoloOutputDecoder.BestClass(output, anchors, validColumns, passBest, passClass);
        var best = _best.AsSpan(0, anchors);
        var cls = _class.AsSpan(0, anchors);
        for (int a = 0; a < anchors; a++)
        {
            // Strictly greater: on a tie the earlier pass, whose prompts come first, keeps the anchor.
            if (passBest[a] > best[a])
            {
                best[a] = passBest[a];
                cls[a] = firstPrompt + passClass[a];
                for (int r = 0; r < 4; r++)
                {
                    _boxes[(r * anchors) + a] = output[(r * anchors) + a];
                }
            }
        }
    }

    /// <summary>
    /// Takes out the anchors won by a negative prompt (label index <paramref name="labelCount"/> or more): they are
    /// never returned. When <see cref="DetectionOptions.NegativesSuppress"/> is on (internal, off by default), the negatives above the
    /// confidence that survive NMS among themselves (per negative) also take out every positive anchor they overlap
    /// by more than the IoU threshold with a higher score (see <see cref="PromptSet.Negatives"/>).
    /// </summary>
    public void DropNegatives(int labelCount, DetectionOptions options)
    {
        var best = _best.AsSpan(0, _anchors);
        var cls = _class.AsSpan(0, _anchors);
        var conf = (float)options.Confidence;
        List<int>? negatives = null;
        for (int a = 0; a < _anchors; a++)
        {
            if (cls[a] >= labelCount)
            {
                if (best[a] > conf && options.NegativesSuppress)
                {
                    (negatives ??= []).Add(a);
                }
                else
                {
                    best[a] = float.NegativeInfinity;
                }
            }
        }

        if (negatives is null)
        {
            return;
        }

        var boxes = new BoundingBox[negatives.Count];
        var scores = new float[negatives.Count];
        var groups = new int[negatives.Count];
        for (int i = 0; i < negatives.Count; i++)
        {
            boxes[i] = Box(negatives[i]);
            (scores[i], groups[i]) = (best[negatives[i]], cls[negatives[i]]);
            best[negatives[i]] = float.NegativeInfinity;
        }

        var keep = new int[negatives.Count];
        var kept = NonMaxSuppression.Apply(boxes, scores, groups, options.IoU, keep);
        for (int a = 0; a < _anchors; a++)
        {
            if (cls[a] >= labelCount || !(best[a] > 0f))
            {
                continue;
            }

            var box = Box(a);
            for (int k = 0; k < kept; k++)
            {
                if (scores[keep[k]] > best[a] && boxes[keep[k]].IoU(box) > options.IoU)
                {
                    best[a] = float.NegativeInfinity;
                    break;
                }
            }
        }
    }

    private BoundingBox Box(int a) =>
        BoundingBox.FromCenter(_boxes[a], _boxes[_anchors + a], _boxes[(2 * _anchors) + a], _boxes[(3 * _anchors) + a]);

    /// <summary>Replaces each anchor's prompt index by its label index.</summary>
    public void MapToLabels(int[] promptClass)
    {
        foreach (ref var c in _class.AsSpan(0, _anchors))
        {
            c = promptClass[c];
        }
    }
}
