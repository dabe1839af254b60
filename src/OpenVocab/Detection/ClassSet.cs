using System.Collections.Frozen;

namespace OpenVocab.Detection;

/// <summary>One class a user asks for: the label reported in results and the text prompts that describe it.</summary>
/// <param name="Label">Label reported in results.</param>
/// <param name="Prompts">Prompts scored for this class (several synonyms may map to one label); the label itself when empty.</param>
public sealed record ClassPrompt(string Label, IReadOnlyList<string> Prompts)
{
    /// <summary>A class described by its own label.</summary>
    public ClassPrompt(string label) : this(label, [label]) { }
}

/// <summary>
/// An immutable, validated set of classes with their prompts flattened in order and, for open-vocabulary detectors,
/// their L2-normalised text embeddings. Safe to share across threads and detect calls.
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
        IsOnePromptPerClass = prompts.Length == labels.Length;
        if (modelClassIds is not null && modelClassIds.Length < modelClassCount)
        {
            _modelFilter = modelClassIds.ToFrozenSet();
        }
    }

    // Closed set: the model class ids kept, or null when all are.
    private readonly FrozenSet<int>? _modelFilter;

    /// <summary>Labels in the order given; a detection's class index points into this list.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>All prompts, flattened in class order.</summary>
    public IReadOnlyList<string> Prompts => PromptArray;

    internal string[] PromptArray { get; }

    /// <summary>True when every class has exactly one prompt (prompt index = class index).</summary>
    internal bool IsOnePromptPerClass { get; }

    /// <summary>For each prompt, the index of its label.</summary>
    internal int[] PromptClass { get; }

    /// <summary>Row-major [prompts, D] text embeddings, or null for a closed-set detector.</summary>
    internal float[]? Embeddings { get; }

    /// <summary>For a closed-set detector, the model's class id of each label; null otherwise.</summary>
    internal int[]? ModelClassIds { get; }

    /// <summary>Closed set: the model class ids to keep, narrowed by a caller's filter (also model ids); null keeps all.</summary>
    internal IReadOnlySet<int>? ModelFilter(IReadOnlySet<int>? callerFilter) =>
        callerFilter is null ? _modelFilter : _modelFilter is null ? callerFilter : _modelFilter.Where(callerFilter.Contains).ToFrozenSet();

    /// <summary>Checks a user's class list: at least one class, no blank or duplicate labels or prompts.</summary>
    internal static (string[] Labels, string[] Prompts, int[] PromptClass) Validate(IReadOnlyList<ClassPrompt> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count == 0)
        {
            throw new ArgumentException("The class list is empty: give at least one class name or prompt.", nameof(classes));
        }

        var labels = new string[classes.Count];
        var prompts = new List<string>(classes.Count);
        var promptClass = new List<int>(classes.Count);
        var seenLabels = new HashSet<string>(StringComparer.Ordinal);
        var seenPrompts = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < classes.Count; i++)
        {
            var c = classes[i] ?? throw new ArgumentException($"Class {i} is null.", nameof(classes));
            if (string.IsNullOrWhiteSpace(c.Label))
            {
                throw new ArgumentException($"Class {i} has a blank label: every class needs a name.", nameof(classes));
            }

            var label = c.Label.Trim();
            if (!seenLabels.Add(label))
            {
                throw new ArgumentException($"Class '{label}' is given twice (classes {Array.IndexOf(labels, label)} and {i}); list each class once.", nameof(classes));
            }

            labels[i] = label;
            var classPrompts = c.Prompts is null || c.Prompts.Count == 0 ? [label] : c.Prompts;
            foreach (var prompt in classPrompts)
            {
                if (string.IsNullOrWhiteSpace(prompt))
                {
                    throw new ArgumentException($"Class '{label}' has a blank prompt.", nameof(classes));
                }

                var p = prompt.Trim();
                if (!seenPrompts.Add(p))
                {
                    throw new ArgumentException($"Prompt '{p}' is given twice; each prompt may belong to one class only.", nameof(classes));
                }

                prompts.Add(p);
                promptClass.Add(i);
            }
        }

        return (labels, prompts.ToArray(), promptClass.ToArray());
    }
}
