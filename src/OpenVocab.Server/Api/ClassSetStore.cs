using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using OpenVocab.Detection;
using OpenVocab.Server.Hosting;

namespace OpenVocab.Server.Api;

/// <summary>
/// Class sets the server has encoded: named ones stored by <c>PUT /v1/classsets/{name}</c>, and the class lists
/// requests name inline, kept by their text so that equal lists share one <see cref="ClassSet"/> instance (which is
/// what lets the batcher put their images into one run) and pay the text encoder once. Thread-safe.
/// </summary>
internal sealed partial class ClassSetStore(ModelHost models, IOptions<ServerOptions> options)
{
    /// <summary>Inline lists remembered before the memo is cleared; their embeddings stay in the text encoder's cache.</summary>
    private const int InlineMemo = 1024;

    private readonly ServerOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, (string[] Labels, ClassSet Set)> _named = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ClassSet> _inline = new(StringComparer.Ordinal);
    private readonly Lock _putGate = new();

    public int Count => _named.Count;

    /// <summary>Checks a class list against the limits: not empty, not too many, none too long.</summary>
    public void CheckList(IReadOnlyList<string> labels, string field)
    {
        if (labels.Count == 0)
        {
            throw new ApiProblemException(400, field, $"'{field}' is empty; expected at least one class, e.g. \"red circle\".");
        }

        if (labels.Count > _options.MaxClasses)
        {
            throw new ApiProblemException(400, field, $"'{field}' has {labels.Count} entries; this server takes at most {_options.MaxClasses}.");
        }

        for (var i = 0; i < labels.Count; i++)
        {
            if (labels[i].Length > _options.MaxPromptLength)
            {
                throw new ApiProblemException(400, $"{field}[{i}]", $"Entry {i} of '{field}' is {labels[i].Length} characters long; this server takes at most {_options.MaxPromptLength}.");
            }
        }
    }

    /// <summary>The class set for an inline list (checked, encoded once per distinct list).</summary>
    public ClassSet ForList(IReadOnlyList<string> labels, string field)
    {
        CheckList(labels, field);
        var key = string.Join('\u001f', labels);
        if (_inline.TryGetValue(key, out var set))
        {
            return set;
        }

        set = Create(labels, field);
        if (_inline.Count >= InlineMemo)
        {
            _inline.Clear();
        }

        return _inline.GetOrAdd(key, set);
    }

    /// <summary>
    /// The class set a detect request asks for: a stored set by name, or an inline list; a closed-set detector with
    /// neither uses all its classes.
    /// </summary>
    public ClassSet Resolve(string? setName, IReadOnlyList<string> list, Detector detector)
    {
        if (!string.IsNullOrEmpty(setName))
        {
            if (list.Count > 0)
            {
                throw new ApiProblemException(400, "classSet", "Both 'classSet' and 'classes' were given; send one of them.");
            }

            CheckName(setName);
            return TryGet(setName, out _, out var stored)
                ? stored
                : throw new ApiProblemException(422, "classSet", $"No class set named '{setName}' is stored; create it with PUT /v1/classsets/{setName}.");
        }

        return list.Count == 0 && !detector.IsOpenVocabulary ? ForList(detector.ModelClassNames, "classes") : ForList(list, "classes");
    }

    /// <summary>A stored set by name.</summary>
    public bool TryGet(string name, out string[] labels, out ClassSet set)
    {
        if (_named.TryGetValue(name, out var entry))
        {
            (labels, set) = entry;
            return true;
        }

        (labels, set) = ([], null!);
        return false;
    }

    public IEnumerable<(string Name, string[] Labels)> List() => _named.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value.Labels));

    /// <summary>Stores (or replaces) a named set; true when it is new.</summary>
    public bool Put(string name, string[] labels)
    {
        CheckName(name);
        CheckList(labels, "classes");
        var set = Create(labels, "classes");
        lock (_putGate)
        {
            var isNew = !_named.ContainsKey(name);
            if (isNew && _named.Count >= _options.MaxClassSets)
            {
                throw new ApiProblemException(422, "name", $"This server already stores {_named.Count} class sets, its limit; delete one first.");
            }

            _named[name] = (labels, set);
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

    private ClassSet Create(IReadOnlyList<string> labels, string field)
    {
        var detector = models.Current.Detector ?? throw new ApiProblemException(422, field, "This server's model pack has no detector.");
        try
        {
            return detector.CreateClassSet([.. labels]);
        }
        catch (ArgumentException e)
        {
            throw new ApiProblemException(400, field, e.Message);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NamePattern();
}
