using System.Collections.Frozen;
using System.Globalization;

namespace OpenVocab.Detection;

/// <summary>
/// An immutable, validated set of classes with their prompts flattened in order and, for open-vocabulary detectors,
/// their L2-normalised embeddings (text, image exemplars, or both fused); also the attribute labels classified on
/// kept boxes. Safe to share across threads and detect calls. Made by <see cref="Detector.CreateClassSet(PromptSet)"/>.
/// </summary>
public sealed class ClassSet
{
    internal ClassSet(string[] labels, string[] prompts, int[] promptClass, float[]? embeddings, int[]? modelClassIds, int modelClassCount = 0)
    {
        Labels = labels;
        PromptArray = prompts;
        PromptClass = promptClass;
        Embeddings = embeddings;
        ModelClassIds = modelClassIds;
        IsOnePromptPerClass = prompts.Length == labels.Length && promptClass.All(c => c < labels.Length);
        _modelClassCount = modelClassCount;
        if (modelClassIds is not null && modelClassIds.Length < modelClassCount)
        {
            _modelFilter = modelClassIds.ToFrozenSet();
        }
    }

    // Closed set: the model class ids kept, or null when all are.
    private readonly FrozenSet<int>? _modelFilter;
    private readonly int _modelClassCount;

    // The last options' per-class thresholds resolved to columns; read and replaced whole, so threads never see half of one.
    private Tuple<DetectionOptions, float[]>? _columnConfidence;

    /// <summary>Labels in the order given; a detection's class index points into this list.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>
    /// All prompts, flattened in class order. A class given by images alone appears as
    /// <c>"[k images of LABEL]"</c>; a text prompt fused with a class's images as <c>"PROMPT + k images"</c>.
    /// </summary>
    public IReadOnlyList<string> Prompts => PromptArray;

    /// <summary>Labels of the negative prompts, which compete in every pass and are never returned; empty when none.</summary>
    public IReadOnlyList<string> Negatives { get; internal init; } = [];

    /// <summary>How many example images the classes' embeddings were made from (0 for text only).</summary>
    public int ExemplarCount { get; internal init; }

    /// <summary>The attribute prompts classified on kept boxes of their class, as validated (labels trimmed); empty when none.</summary>
    public IReadOnlyList<AttributePrompt> Attributes { get; internal init; } = [];

    /// <summary>Per class index, its attribute labels encoded for zero-shot scoring, or null; null when no class has attributes.</summary>
    internal AttributeLabels?[]? AttributeByClass { get; init; }

    internal string[] PromptArray { get; }

    /// <summary>True when every class has exactly one prompt (prompt index = class index).</summary>
    internal bool IsOnePromptPerClass { get; }

    /// <summary>For each prompt, the index of its label; an index of <see cref="Labels"/>.Count or more is a negative prompt.</summary>
    internal int[] PromptClass { get; }

    /// <summary>Row-major [prompts, D] embeddings, or null for a closed-set detector.</summary>
    internal float[]? Embeddings { get; }

    /// <summary>For a closed-set detector, the model's class id of each label; null otherwise.</summary>
    internal int[]? ModelClassIds { get; }

    /// <summary>Closed set: the model class ids to keep, narrowed by a caller's filter (also model ids); null keeps all.</summary>
    internal IReadOnlySet<int>? ModelFilter(IReadOnlySet<int>? callerFilter) =>
        callerFilter is null ? _modelFilter : _modelFilter is null ? callerFilter : _modelFilter.Where(callerFilter.Contains).ToFrozenSet();

    /// <summary>
    /// Per prompt column (per model class for a closed set), the minimum score of its class: <see cref="DetectionOptions.ClassConfidence"/> where it names
    /// the class, else <see cref="DetectionOptions.Confidence"/>. Null when the options set no per-class value.
    /// Cached for the last options instance (a caller reusing one options object resolves once).
    /// </summary>
    /// <exception cref="ArgumentException">A per-class confidence names a class this set does not have.</exception>
    internal float[]? ColumnConfidence(DetectionOptions options)
    {
        if (options.ClassConfidence is not { } perClass)
        {
            return null;
        }

        var cached = Volatile.Read(ref _columnConfidence);
        if (cached is not null && ReferenceEquals(cached.Item1, options))
        {
            return cached.Item2;
        }

        var byLabel = new float[Labels.Count];
        Array.Fill(byLabel, (float)options.Confidence);
        foreach (var (label, threshold) in perClass)
        {
            var index = IndexOfLabel(label);
            if (index < 0)
            {
                throw new ArgumentException(
                    $"A confidence is given for class '{label}', which is not in the class set ({string.Join(", ", Labels.Take(20).Select(l => $"'{l}'"))}{(Labels.Count > 20 ? ", ..." : "")}); per-class thresholds name classes being detected.",
                    nameof(options));
            }

            // torch compares the float32 scores with the threshold converted to float32, as for the global one.
            byLabel[index] = (float)threshold;
        }

        float[] columns;
        if (ModelClassIds is { } ids)
        {
            // Closed set: the decoder's columns are the model's classes.
            columns = new float[_modelClassCount];
            Array.Fill(columns, (float)options.Confidence);
            for (var i = 0; i < ids.Length; i++)
            {
                columns[ids[i]] = byLabel[i];
            }
        }
        else
        {
            columns = new float[PromptArray.Length];
            for (var c = 0; c < columns.Length; c++)
            {
                // A negative column keeps the global threshold: it only has to win its anchor, never to be reported.
                columns[c] = PromptClass[c] < byLabel.Length ? byLabel[PromptClass[c]] : (float)options.Confidence;
            }
        }

        Volatile.Write(ref _columnConfidence, Tuple.Create(options, columns));
        return columns;
    }

    private int IndexOfLabel(string label)
    {
        for (var i = 0; i < Labels.Count; i++)
        {
            if (string.Equals(Labels[i], label, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Checks a user's class list: at least one class, no blank or duplicate labels or prompts.</summary>
    internal static (string[] Labels, string[] Prompts, int[] PromptClass) Validate(IReadOnlyList<ClassPrompt> classes)
    {
        var plan = Plan(new PromptSet(classes));
        return (plan.Labels, plan.Names, plan.PromptClass);
    }

    /// <summary>
    /// Checks everything a prompt set asks for before anything is encoded, so a bad request changes nothing: classes
    /// (at least one; no blank or duplicate labels or prompts), exemplars, and attributes (for listed classes only).
    /// Each <see cref="ArgumentException.ParamName"/> is the <see cref="PromptSet"/> member at fault (Classes, Negatives
    /// or Attributes), so a service can name the request field.
    /// </summary>
    internal static ClassSetPlan Plan(PromptSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var classes = set.Classes;
        if (classes.Count == 0)
        {
            throw PromptError("The class list is empty: give at least one class name or prompt.", nameof(PromptSet.Classes));
        }

        // Groups: the classes, then the negatives; a column's group index past the classes marks it negative.
        var groups = classes.Concat(set.Negatives).ToArray();
        var labels = new string[groups.Length];
        var names = new List<string>(groups.Length);
        var texts = new List<string?>(groups.Length);
        var promptClass = new List<int>(groups.Length);
        var exemplars = new ImageExemplar[groups.Length][];
        var seenLabels = new HashSet<string>(StringComparer.Ordinal);
        var seenPrompts = new HashSet<string>(StringComparer.Ordinal);
        // CLIP's tokenizer lower-cases and collapses whitespace: "Person" and "person " are one text to the model.
        var positiveTexts = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < groups.Length; i++)
        {
            var negative = i >= classes.Count;
            var kind = negative ? "Negative" : "Class";
            var member = negative ? nameof(PromptSet.Negatives) : nameof(PromptSet.Classes);
            var c = groups[i] ?? throw PromptError($"{kind} {(negative ? i - classes.Count : i)} is null.", member);
            if (string.IsNullOrWhiteSpace(c.Label))
            {
                throw PromptError($"{kind} {(negative ? i - classes.Count : i)} has a blank label: every {kind.ToLowerInvariant()} needs a name.", member);
            }

            var label = c.Label.Trim();
            if (negative && positiveTexts.Contains(ModelText(label)))
            {
                throw PromptError($"'{label}' is named both as a class and as a negative; a prompt cannot be looked for and rejected at once.", member);
            }

            if (!seenLabels.Add(label))
            {
                throw PromptError($"{kind} '{label}' is given twice; list each {kind.ToLowerInvariant()} once.", member);
            }

            labels[i] = label;
            exemplars[i] = [.. c.Exemplars];
            int images = exemplars[i].Length;
            IReadOnlyList<string> classPrompts = c.Prompts is null || c.Prompts.Count == 0 ? images > 0 ? [] : [label] : c.Prompts;
            if (!negative)
            {
                positiveTexts.Add(ModelText(label));
            }

            if (classPrompts.Count == 0)
            {
                names.Add(string.Create(CultureInfo.InvariantCulture, $"[{images} image{(images == 1 ? "" : "s")} of {label}]"));
                texts.Add(null);
                promptClass.Add(i);
            }

            foreach (var prompt in classPrompts)
            {
                if (string.IsNullOrWhiteSpace(prompt))
                {
                    throw PromptError($"{kind} '{label}' has a blank prompt.", member);
                }

                var p = prompt.Trim();
                if (negative && positiveTexts.Contains(ModelText(p)))
                {
                    throw PromptError($"Negative '{label}' has the prompt '{p}', which a class has too; a prompt cannot be looked for and rejected at once.", member);
                }

                if (!seenPrompts.Add(p))
                {
                    throw PromptError($"Prompt '{p}' is given twice; each prompt may belong to one class only.", member);
                }

                if (!negative)
                {
                    positiveTexts.Add(ModelText(p));
                }

                names.Add(images == 0 ? p : string.Create(CultureInfo.InvariantCulture, $"{p} + {images} image{(images == 1 ? "" : "s")}"));
                texts.Add(p);
                promptClass.Add(i);
            }
        }

        var attributes = PlanAttributes(set.Attributes, labels[..classes.Count]);
        return new ClassSetPlan(labels[..classes.Count], labels[classes.Count..], [.. names], [.. texts], [.. promptClass], exemplars, attributes);
    }

    /// <summary>
    /// An error in a prompt set. Its <see cref="ArgumentException.ParamName"/> is the <see cref="PromptSet"/> member at
    /// fault (Classes, Negatives, Attributes; <see cref="ClassPrompt.Exemplars"/> for image prompts a detector cannot
    /// use), which services map to their request fields.
    /// </summary>
    internal static ArgumentException PromptError(string message, string member) => new(message, member);

    /// <summary>A prompt as the text encoder sees it: lower case, whitespace collapsed.</summary>
    private static string ModelText(string text) =>
        string.Join(' ', text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static (AttributePrompt Prompt, int Class)[] PlanAttributes(IReadOnlyList<AttributePrompt> attributes, string[] labels)
    {
        var planned = new (AttributePrompt, int)[attributes.Count];
        var seen = new HashSet<int>();
        for (var i = 0; i < attributes.Count; i++)
        {
            var a = attributes[i] ?? throw PromptError($"Attribute prompt {i} is null.", nameof(PromptSet.Attributes));
            var cls = Array.IndexOf(labels, a.ClassLabel);
            if (cls < 0)
            {
                throw PromptError(
                    $"Attributes are given for class '{a.ClassLabel}', which is not in the class list ({string.Join(", ", labels.Select(l => $"'{l}'"))}); attributes classify kept boxes of a listed class.",
                    nameof(PromptSet.Attributes));
            }

            if (!seen.Add(cls))
            {
                throw PromptError($"Attributes for class '{a.ClassLabel}' are given twice; give all of its attribute labels in one list.", nameof(PromptSet.Attributes));
            }

            planned[i] = (a, cls);
        }

        return planned;
    }
}

/// <summary>A validated prompt set, before encoding: one column per prompt, exemplars per class, attributes by class.</summary>
/// <param name="Labels">Class labels, trimmed.</param>
/// <param name="Negatives">Negative labels, trimmed.</param>
/// <param name="Names">Per column, the name shown in <see cref="ClassSet.Prompts"/>.</param>
/// <param name="Texts">Per column, the text to encode, or null for a column given by images alone.</param>
/// <param name="PromptClass">Per column, its class index (Labels.Length + k for negative k).</param>
/// <param name="Exemplars">Per class then per negative, its example images (fused into each of its columns).</param>
/// <param name="Attributes">Attribute prompts with the index of their class.</param>
internal sealed record ClassSetPlan(string[] Labels, string[] Negatives, string[] Names, string?[] Texts, int[] PromptClass, ImageExemplar[][] Exemplars,
    (AttributePrompt Prompt, int Class)[] Attributes)
{
    public int ExemplarCount => Exemplars.Sum(e => e.Length);
}
