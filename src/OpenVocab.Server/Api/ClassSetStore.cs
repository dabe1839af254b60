using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using OpenVocab.Detection;
using OpenVocab.Server.Hosting;

namespace OpenVocab.Server.Api;

/// <summary>
/// Class sets the server has encoded: named ones stored by <c>PUT /v1/classsets/{name}</c> (text, example images,
/// negatives and attributes, as a detect request may ask), and the prompt sets requests give inline, kept by their
/// content (<see cref="PromptSpec.Key"/>) so that equal requests share one <see cref="ClassSet"/> instance (which is
/// what lets the batcher put their images into one run) and pay the encoders once. Thread-safe.
/// </summary>
internal sealed partial class ClassSetStore(ModelHost models, IOptions<ServerOptions> options)
{
    /// <summary>Inline sets remembered before the memo is cleared; their embeddings stay in the encoders' caches.</summary>
    private const int InlineMemo = 1024;

    private readonly ServerOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, (ClassSetInfo Info, ClassSet Set)> _named = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ClassSet> _inline = new(StringComparer.Ordinal);
    private readonly Lock _putGate = new();

    public int Count => _named.Count;

    /// <summary>Checks a list against the limits: not empty, not too many, none too long.</summary>
    public void CheckList(IReadOnlyList<string> labels, string field) => PromptRequest.CheckList(labels, field, _options);

    /// <summary>The class set for an inline prompt set (encoded once per distinct set).</summary>
    public ClassSet ForPrompts(PromptSpec spec)
    {
        if (_inline.TryGetValue(spec.Key, out var set))
        {
            return set;
        }

        set = Create(spec);
        if (_inline.Count >= InlineMemo)
        {
            _inline.Clear();
        }

        return _inline.GetOrAdd(spec.Key, set);
    }

    /// <summary>
    /// The class set a detect request asks for: a stored set by name, or the request's own prompts; a closed-set
    /// detector asked for nothing uses all its classes.
    /// </summary>
    public ClassSet Resolve(string? setName, PromptSpec spec, Detector detector)
    {
        if (!string.IsNullOrEmpty(setName))
        {
            if (!spec.IsEmpty)
            {
                var fields = spec.Fields;
                var p = spec.Prompts;
                var field = p.Classes.Any(c => c.Prompts.Count > 0) ? fields.Classes
                    : spec.ExemplarCount > 0 ? fields.Exemplars
                    : p.Negatives.Count > 0 ? fields.Negatives : fields.Attributes;
                throw new ApiProblemException(400, "classSet", $"Both 'classSet' and '{field}' were given; send one of them (a stored class set may hold example images, negatives and attributes too).");
            }

            CheckName(setName);
            return TryGet(setName, out _, out var stored)
                ? stored
                : throw new ApiProblemException(422, "classSet", $"No class set named '{setName}' is stored; create it with PUT /v1/classsets/{setName}.");
        }

        if (spec.IsEmpty)
        {
            return detector.IsOpenVocabulary
                ? throw new ApiProblemException(400, spec.Fields.Classes, $"'{spec.Fields.Classes}' is empty; expected at least one class, e.g. \"red circle\" (or example images in '{spec.Fields.Exemplars}', or a stored 'classSet').")
                : ForPrompts(PromptRequest.Create(detector.ModelClassNames, [], [], [], _options, spec.Fields));
        }

        return ForPrompts(spec);
    }

    /// <summary>A stored set by name.</summary>
    public bool TryGet(string name, out ClassSetInfo info, out ClassSet set)
    {
        if (_named.TryGetValue(name, out var entry))
        {
            (info, set) = entry;
            return true;
        }

        (info, set) = (null!, null!);
        return false;
    }

    public IEnumerable<ClassSetInfo> List() => _named.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value.Info);

    /// <summary>Stores (or replaces) a named set; true when it is new. Nothing is stored when the set is refused.</summary>
    public bool Put(string name, PromptSpec spec, out ClassSetInfo info)
    {
        CheckName(name);
        if (spec.Prompts.Classes.Count == 0)
        {
            throw new ApiProblemException(400, spec.Fields.Classes, $"'{spec.Fields.Classes}' is empty; expected at least one class, e.g. \"red circle\" (or example images in '{spec.Fields.Exemplars}').");
        }

        var set = Create(spec);
        info = Describe(name, spec.Prompts);
        lock (_putGate)
        {
            var isNew = !_named.ContainsKey(name);
            if (isNew && _named.Count >= _options.MaxClassSets)
            {
                throw new ApiProblemException(422, "name", $"This server already stores {_named.Count} class sets, its limit; delete one first.");
            }

            _named[name] = (info, set);
            return isNew;
        }
    }

    public bool Delete(string name) => _named.TryRemove(name, out _);

    public static void CheckName(string name)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw new ApiProblemException(400, "name", $"Class set name '{name}' is not valid; expected 1-64 letters, digits, '.', '_' or '-'.");
        }
    }

    /// <summary>What GET answers for a stored set: its labels, and what else it holds (absent when nothing).</summary>
    private static ClassSetInfo Describe(string name, PromptSet prompts)
    {
        var exemplars = prompts.Classes.Where(c => c.Exemplars.Count > 0).ToDictionary(c => c.Label, c => c.Exemplars.Count, StringComparer.Ordinal);
        return new ClassSetInfo(name, [.. prompts.Classes.Select(c => c.Label)])
        {
            Not = prompts.Negatives.Count > 0 ? [.. prompts.Negatives.Select(n => n.Label)] : null,
            Attributes = prompts.Attributes.Count > 0 ? [.. prompts.Attributes.Select(a => $"{a.ClassLabel}: {string.Join(", ", a.Labels)}")] : null,
            Exemplars = exemplars.Count > 0 ? exemplars : null,
        };
    }

    /// <summary>
    /// Encodes a prompt set. Refused before anything is encoded: image prompts on a pack that cannot use them (422),
    /// and whatever the library finds wrong (a class both positive and negative, attributes for a class not in the
    /// list, duplicates: 400), each naming the request field.
    /// </summary>
    private ClassSet Create(PromptSpec spec)
    {
        var fields = spec.Fields;
        var detector = models.Current.Detector ?? throw new ApiProblemException(422, fields.Classes, "This server's model pack has no detector.");
        if ((spec.ExemplarCount > 0 || spec.Prompts.Attributes.Count > 0) && !detector.CanUseImagePrompts)
        {
            var (field, what) = spec.ExemplarCount > 0 ? (fields.Exemplars, "classes given by example images") : (fields.Attributes, "attributes");
            throw new ApiProblemException(422, field,
                $"This server's model pack ({models.Current.Pack.Name}) {(detector.IsOpenVocabulary ? "has no CLIP image encoder" : "is a closed-set detector")}, so it cannot use {what}; give the classes as text, or serve a pack with an image encoder.");
        }

        try
        {
            return detector.CreateClassSet(spec.Prompts);
        }
        catch (ArgumentException e)
        {
            var field = e.ParamName switch
            {
                nameof(PromptSet.Negatives) => fields.Negatives,
                nameof(PromptSet.Attributes) => fields.Attributes,
                nameof(ClassPrompt.Exemplars) => fields.Exemplars,
                _ => fields.Classes,
            };
            throw ApiProblemException.FromArgument(400, field, e);
        }
        catch (ImageDecodeException e)
        {
            throw new ApiProblemException(422, fields.Exemplars, e.Message);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NamePattern();
}
