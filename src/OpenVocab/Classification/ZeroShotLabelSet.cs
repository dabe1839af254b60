using OpenVocab.Text;

namespace OpenVocab.Classification;

/// <summary>
/// Labels turned into text vectors once, to classify any number of images against: a row-major
/// <c>[N, D]</c> matrix of L2-normalised label vectors. Immutable and thread-safe.
/// </summary>
public sealed class ZeroShotLabelSet
{
    private readonly float[] _vectors;

    private ZeroShotLabelSet(string[] labels, float[] vectors, int dimension, IReadOnlyList<string> templates)
    {
        Labels = labels;
        _vectors = vectors;
        Dimension = dimension;
        Templates = templates;
    }

    /// <summary>The labels, in order; a prediction's <see cref="ZeroShotPrediction.Index"/> points into this list (as a
    /// detection's class index points into <see cref="Detection.ClassSet.Labels"/>).</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Number of labels N.</summary>
    public int Count => Labels.Count;

    /// <summary>Embedding size D.</summary>
    public int Dimension { get; }

    /// <summary>The templates the vectors were built with.</summary>
    public IReadOnlyList<string> Templates { get; }

    /// <summary>The <c>[N, D]</c> label vectors, row-major; valid as long as this set is referenced.</summary>
    public ReadOnlySpan<float> Vectors => _vectors;

    /// <summary>One label's L2-normalised vector.</summary>
    public ReadOnlySpan<float> Vector(int index) => _vectors.AsSpan(index * Dimension, Dimension);

    /// <summary>
    /// Encodes labels: every synonym of every label through every template in one text-encoder call (cached prompts
    /// cost nothing); per synonym the template embeddings are averaged and renormalised (an ensemble), then per
    /// label the synonym vectors are averaged and renormalised.
    /// </summary>
    /// <param name="textEncoder">The CLIP text encoder; must be the image encoder's partner.</param>
    /// <param name="labels">At least two labels with distinct names.</param>
    /// <param name="options">Templates; defaults when null (<see cref="ZeroShotOptions.TopK"/> is not used here).</param>
    /// <exception cref="ArgumentException">No labels, a single label (a softmax over one label is always 1), blank or duplicate names.</exception>
    public static ZeroShotLabelSet Create(TextEncoder textEncoder, IReadOnlyList<ZeroShotLabel> labels, ZeroShotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(textEncoder);
        Validate(labels);
        options ??= ZeroShotOptions.Default;
        IReadOnlyList<string> templates = options.Templates;

        var prompts = new List<string>();
        foreach (ZeroShotLabel label in labels)
        {
            foreach (string synonym in label.Prompts)
            {
                foreach (string template in templates)
                {
                    prompts.Add(PromptTemplates.Apply(template, synonym));
                }
            }
        }

        IReadOnlyList<ReadOnlyMemory<float>> embeddings = textEncoder.Encode(prompts);
        int d = embeddings[0].Length;
        var vectors = new float[labels.Count * d];
        int next = 0;
        for (int l = 0; l < labels.Count; l++)
        {
            var perSynonym = new ReadOnlyMemory<float>[labels[l].Prompts.Count];
            for (int s = 0; s < perSynonym.Length; s++)
            {
                var group = new ReadOnlyMemory<float>[templates.Count];
                for (int t = 0; t < group.Length; t++)
                {
                    group[t] = embeddings[next++];
                }

                perSynonym[s] = group.Length == 1 ? group[0] : EmbeddingMath.NormalizedMean(group);
            }

            float[] vector = perSynonym.Length == 1 ? perSynonym[0].ToArray() : EmbeddingMath.NormalizedMean(perSynonym);
            vector.CopyTo(vectors, l * d);
        }

        return new ZeroShotLabelSet([.. labels.Select(l => l.Label)], vectors, d, templates);
    }

    /// <summary>Encodes labels named by plain strings; see <see cref="Create(TextEncoder, IReadOnlyList{ZeroShotLabel}, ZeroShotOptions?)"/>.</summary>
    public static ZeroShotLabelSet Create(TextEncoder textEncoder, IReadOnlyList<string> labels, ZeroShotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        for (int i = 0; i < labels.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(labels[i]))
            {
                throw new ArgumentException($"labels[{i}] is {(labels[i] is null ? "null" : "blank")}; every label needs some text.", nameof(labels));
            }
        }

        return Create(textEncoder, [.. labels.Select(l => new ZeroShotLabel(l.Trim()))], options);
    }

    private static void Validate(IReadOnlyList<ZeroShotLabel> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0)
        {
            throw new ArgumentException("No labels were given; zero-shot classification needs at least two labels to choose between.", nameof(labels));
        }

        if (labels.Count == 1)
        {
            throw new ArgumentException(
                $"Only one label ('{labels[0]?.Label}') was given: the softmax over a single label is always 1.0, so it says nothing. "
                + "Give at least two labels (e.g. add a contrasting one such as 'something else'), or compare embeddings directly with EmbeddingMath.Cosine.",
                nameof(labels));
        }

        // CLIP's tokenizer lower-cases and collapses whitespace, so names differing only in case or spacing are the same prompt.
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < labels.Count; i++)
        {
            ZeroShotLabel label = labels[i] ?? throw new ArgumentException($"labels[{i}] is null.", nameof(labels));
            string key = string.Join(' ', label.Label.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            if (!seen.TryAdd(key, i))
            {
                throw new ArgumentException($"Label '{label.Label}' (labels[{i}]) repeats labels[{seen[key]}] ('{labels[seen[key]].Label}'); labels must be distinct.", nameof(labels));
            }
        }
    }
}
