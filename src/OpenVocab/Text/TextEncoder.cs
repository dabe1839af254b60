using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenVocab.Inference;

namespace OpenVocab.Text;

/// <summary>
/// A CLIP text encoder: prompts to L2-normalised embeddings through an ONNX graph, with an embedding cache keyed by
/// the exact prompt string so that a prompt set seen before costs no inference.
/// </summary>
/// <remarks>
/// <para>
/// The graph takes <c>input_ids</c> int64 <c>[B, L]</c> (start-of-text, tokens, end-of-text, zeros after) and,
/// if it has one, an <c>attention_mask</c> (int64 or int32, 1 up to and including end-of-text, 0 after); it gives
/// <c>[B, D]</c> float32 embeddings, which are L2-normalised here.
/// </para>
/// <para>
/// Thread safety: all members may be called concurrently. <see cref="InferenceSession"/>'s <c>Run</c> is
/// thread-safe and the cache is locked; two threads encoding the same new prompt at once may both run it.
/// </para>
/// <para>
/// Cache: least-recently-used, <see cref="TextEncoderOptions.CacheCapacity"/> entries (4096 by default). Cached
/// embeddings are never modified, so the memory handed out stays valid after eviction.
/// </para>
/// <para>
/// Ownership: the encoder owns its ONNX session, also one given to the constructor, and disposes it. An encoder a
/// <see cref="Detection.Detector"/> or a loaded <see cref="Classification.ZeroShotClassifier"/> exposes belongs to
/// that object: dispose the owner, not the encoder.
/// </para>
/// </remarks>
public sealed partial class TextEncoder : IDisposable
{
    /// <summary>The name of the optional mask input.</summary>
    public const string AttentionMaskName = "attention_mask";

    private readonly InferenceSession _session;
    private readonly ILogger _logger;
    private readonly EmbeddingCache _cache;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly RunOptions _runOptions = new();
    private readonly bool _maskIsInt32;
    private readonly bool _hasMask;
    private readonly PlaceholderInputs _placeholders;
    private readonly int _fixedBatch;
    private readonly int _maxBatch;
    private readonly EmbeddingOutput _embeddings;
    private long _inferenceRuns;
    private int _disposed;

    /// <summary>
    /// Wraps a session over a CLIP text model, checking the graph against the tokenizer.
    /// </summary>
    /// <param name="session">The session; the encoder owns it from now on and disposes it (if this constructor
    /// throws, the caller still owns it).</param>
    /// <param name="tokenizer">The tokenizer; its context length must equal the graph's sequence length if fixed.</param>
    /// <param name="inputIdsName">The int64 <c>[B, L]</c> token-id input.</param>
    /// <param name="outputName">The float32 <c>[B, D]</c> embedding output.</param>
    /// <param name="logger">Receives a warning for each prompt truncated to the context length.</param>
    /// <param name="options">Cache and batch settings; defaults when null.</param>
    /// <exception cref="ModelMismatchException">The graph's inputs or outputs are not what a CLIP text encoder has.</exception>
    public TextEncoder(InferenceSession session, ClipTokenizer tokenizer, string inputIdsName, string outputName, ILogger? logger = null, TextEncoderOptions? options = null)
        : this(session, "text encoder", tokenizer, inputIdsName, outputName, logger, options, null)
    {
    }

    /// <summary>
    /// As the public constructor; <paramref name="model"/> (the ONNX file) names the model in errors, and
    /// <paramref name="placeholderInputs"/> lists the inputs of a graph that also holds the image tower, which get placeholders.
    /// </summary>
    internal TextEncoder(InferenceSession session, string model, ClipTokenizer tokenizer, string inputIdsName, string outputName, ILogger? logger,
        TextEncoderOptions? options, IReadOnlyDictionary<string, IReadOnlyList<long>>? placeholderInputs)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputIdsName);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputName);
        options ??= new TextEncoderOptions();

        int l = tokenizer.ContextLength;
        NodeMetadata TokenInput(string name, TensorElementType[] types)
        {
            string expected = $"{string.Join(" or ", types.Select(GraphContract.TypeName))} [B, {l}]";
            NodeMetadata meta = GraphContract.Input(session, model, name, types, 2, expected);
            GraphContract.Check(meta.Dimensions[1] <= 0 || meta.Dimensions[1] == l, model, name, expected, meta);
            return meta;
        }

        NodeMetadata ids = TokenInput(inputIdsName, [TensorElementType.Int64]);
        _fixedBatch = ids.Dimensions[0] > 0 ? ids.Dimensions[0] : 0;
        if (session.InputMetadata.ContainsKey(AttentionMaskName))
        {
            NodeMetadata mask = TokenInput(AttentionMaskName, [TensorElementType.Int64, TensorElementType.Int32]);
            _hasMask = true;
            _maskIsInt32 = mask.ElementDataType == TensorElementType.Int32;
        }

        _placeholders = PlaceholderInputs.Create(session, placeholderInputs, model);
        foreach (string name in session.InputMetadata.Keys)
        {
            if (name != inputIdsName && name != AttentionMaskName && !_placeholders.Names.Contains(name))
            {
                throw GraphContract.Mismatch(model, name, $"no inputs besides '{inputIdsName}' and '{AttentionMaskName}'", "this extra input, which the text encoder cannot feed");
            }
        }

        NodeMetadata output = GraphContract.Output(session, model, outputName, TensorElementType.Float, 2, "float32 [B, D]");
        _embeddings = new EmbeddingOutput(model, outputName, output.Dimensions[1], "prompts");
        _session = session;
        Tokenizer = tokenizer;
        _logger = logger ?? NullLogger.Instance;
        _cache = new EmbeddingCache(options.CacheCapacity);
        _maxBatch = _fixedBatch > 0 ? _fixedBatch : options.MaxBatchSize;
        _inputNames = [.. (_hasMask ? new[] { inputIdsName, AttentionMaskName } : [inputIdsName]), .. _placeholders.Names];
        _outputNames = [outputName];
    }

    /// <summary>Opens a model pack's text encoder with its tokenizer, checking the graph against the manifest.</summary>
    /// <exception cref="ModelLoadException">The pack has no text encoder, or a file is missing or invalid.</exception>
    /// <exception cref="ModelMismatchException">The graph's inputs or outputs differ from what the manifest says.</exception>
    public static TextEncoder Load(ModelPack pack, InferenceOptions? inference = null, ILogger? logger = null, TextEncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pack);
        var text = pack.Manifest.TextEncoder
            ?? throw new ModelLoadException($"Model pack '{pack.Directory}' has no text encoder: expected a \"textEncoder\" entry in its manifest.");
        var tokenizer = ClipTokenizer.FromPack(pack);
        var file = pack.Resolve(text.Onnx);
        var session = OnnxSessionFactory.Create(file, inference, logger);
        try
        {
            return new TextEncoder(session, file, tokenizer, text.InputIds, text.Output, logger, options, text.PlaceholderInputs);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The tokenizer that turns prompts into ids.</summary>
    public ClipTokenizer Tokenizer { get; }

    /// <summary>
    /// The embedding size D. Read from the graph; when the graph leaves it dynamic, it is learnt from the first run
    /// (reading it before any encoding runs the model once on an empty prompt).
    /// </summary>
    public int Dimension
    {
        get
        {
            int d = _embeddings.Dimension;
            if (d == 0)
            {
                ObjectDisposedException.ThrowIf(_disposed != 0, this);
                RunBatch([string.Empty], 0, 1);
                d = _embeddings.Dimension;
            }

            return d;
        }
    }

    /// <summary>How many times the model has been run (for tests and benchmarks).</summary>
    public long InferenceRuns => Interlocked.Read(ref _inferenceRuns);

    /// <summary>How many prompts the embedding cache holds.</summary>
    public int CachedPrompts => _cache.Count;

    /// <summary>Empties the embedding cache.</summary>
    public void ClearCache() => _cache.Clear();

    /// <summary>
    /// Embeds prompts: cached ones come from the cache, all the others (duplicates once) go through the model in one
    /// run (in chunks only beyond <see cref="TextEncoderOptions.MaxBatchSize"/>).
    /// </summary>
    /// <param name="prompts">The prompts; at least one, none null or blank. Prompts longer than the context are
    /// truncated (end-of-text kept), with a warning through the logger.</param>
    /// <returns>
    /// One L2-normalised embedding of <see cref="Dimension"/> floats per prompt, in order. The list is new and the
    /// caller's; the memory is shared with the cache, never modified, and stays valid for as long as it is referenced.
    /// </returns>
    public IReadOnlyList<ReadOnlyMemory<float>> Encode(IReadOnlyList<string> prompts)
    {
        float[][] rows = EncodeRows(prompts);
        var result = new ReadOnlyMemory<float>[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            result[i] = rows[i];
        }

        return result;
    }

    /// <summary>Embeds one prompt; see <see cref="Encode(IReadOnlyList{string})"/>.</summary>
    /// <param name="prompt">The prompt; not null or blank.</param>
    /// <returns>The L2-normalised embedding; memory shared with the cache, never modified.</returns>
    public ReadOnlyMemory<float> Encode(string prompt) => EncodeRows([prompt])[0];

    /// <summary>
    /// Embeds prompts into <paramref name="destination"/> as a row-major <c>[N, D]</c> matrix (e.g. a detector's
    /// text input); see <see cref="Encode(IReadOnlyList{string})"/>.
    /// </summary>
    /// <param name="prompts">The prompts; at least one, none null or blank.</param>
    /// <param name="destination">At least N x <see cref="Dimension"/> floats; the first N x D are written.</param>
    public void EncodeInto(IReadOnlyList<string> prompts, Span<float> destination)
    {
        ValidatePrompts(prompts);
        int d = Dimension;
        long needed = (long)prompts.Count * d;
        if (destination.Length < needed)
        {
            throw new ArgumentException($"The destination holds {destination.Length} floats but {prompts.Count} prompts need {needed} ({prompts.Count} x dimension {d}).", nameof(destination));
        }

        float[][] rows = EncodeRows(prompts);
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i].CopyTo(destination.Slice(i * d, d));
        }
    }

    /// <summary>Disposes the session the encoder owns; call once no encoding is running.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _session.Dispose();
            _runOptions.Dispose();
        }
    }

    private float[][] EncodeRows(IReadOnlyList<string> prompts)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ValidatePrompts(prompts);

        var rows = new float[prompts.Count][];
        List<string>? missing = null;
        HashSet<string>? seen = null;
        for (int i = 0; i < prompts.Count; i++)
        {
            if (_cache.TryGet(prompts[i], out float[] cached))
            {
                rows[i] = cached;
            }
            else if ((seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(prompts[i]))
            {
                (missing ??= []).Add(prompts[i]);
            }
        }

        if (missing is null)
        {
            return rows;
        }

        var computed = new Dictionary<string, float[]>(missing.Count, StringComparer.Ordinal);
        for (int start = 0; start < missing.Count; start += _maxBatch)
        {
            int count = Math.Min(_maxBatch, missing.Count - start);
            float[][] batch = RunBatch(missing, start, count);
            for (int r = 0; r < count; r++)
            {
                computed[missing[start + r]] = batch[r];
                _cache.Set(missing[start + r], batch[r]);
            }
        }

        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] ??= computed[prompts[i]];
        }

        return rows;
    }

    /// <summary>
    /// Runs the model once on <paramref name="texts"/> as they are (blank texts allowed), bypassing the cache;
    /// for tests against references that include the empty prompt.
    /// </summary>
    internal float[][] EncodeUncached(IReadOnlyList<string> texts)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return RunBatch(texts, 0, texts.Count);
    }

    private static void ValidatePrompts(IReadOnlyList<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0)
        {
            throw new ArgumentException("At least one prompt is needed.", nameof(prompts));
        }

        for (int i = 0; i < prompts.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(prompts[i]))
            {
                throw new ArgumentException($"prompts[{i}] is {(prompts[i] is null ? "null" : "blank")}; every prompt needs some text.", nameof(prompts));
            }
        }
    }

    private float[][] RunBatch(IReadOnlyList<string> prompts, int start, int count)
    {
        int l = Tokenizer.ContextLength;
        int rows = _fixedBatch > 0 ? _fixedBatch : count;
        var ids = new long[rows * l];
        var infos = new ClipTokenizationInfo[count];
        var chunk = new ArraySegment<string>([.. prompts.Skip(start).Take(count)]);
        Tokenizer.TokenizeBatch(chunk, ids.AsSpan(0, count * l), infos);
        for (int r = 0; r < count; r++)
        {
            if (infos[r].Truncated)
            {
                LogPromptTruncated(_logger, chunk[r], infos[r].TokenCount, l);
            }
        }

        // A graph with a fixed batch gets its spare rows filled with copies of the first; their outputs are dropped.
        for (int r = count; r < rows; r++)
        {
            ids.AsSpan(0, l).CopyTo(ids.AsSpan(r * l, l));
        }

        long[] shape = [rows, l];
        using OrtValue idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        OrtValue? maskValue = _hasMask ? CreateMask(ids, rows, l, count, infos, shape) : null;
        OrtValue[] placeholders = _placeholders.CreateValues();
        try
        {
            OrtValue[] inputs = [.. (maskValue is null ? new[] { idsValue } : [idsValue, maskValue]), .. placeholders];
            using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(_runOptions, _inputNames, inputs, _outputNames);
            Interlocked.Increment(ref _inferenceRuns);
            return _embeddings.Read(outputs[0], rows, count);
        }
        finally
        {
            maskValue?.Dispose();
            foreach (OrtValue value in placeholders)
            {
                value.Dispose();
            }
        }
    }

    private OrtValue CreateMask(long[] ids, int rows, int l, int count, ClipTokenizationInfo[] infos, long[] shape)
    {
        Span<int> lengths = rows <= 256 ? stackalloc int[rows] : new int[rows];
        for (int r = 0; r < rows; r++)
        {
            lengths[r] = r < count ? infos[r].Length : infos[0].Length;
        }

        if (_maskIsInt32)
        {
            var mask = new int[ids.Length];
            for (int r = 0; r < rows; r++)
            {
                mask.AsSpan(r * l, lengths[r]).Fill(1);
            }

            return OrtValue.CreateTensorValueFromMemory(mask, shape);
        }
        else
        {
            var mask = new long[ids.Length];
            for (int r = 0; r < rows; r++)
            {
                mask.AsSpan(r * l, lengths[r]).Fill(1L);
            }

            return OrtValue.CreateTensorValueFromMemory(mask, shape);
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Prompt \"{Prompt}\" needs {TokenCount} tokens but the text encoder's context holds {ContextLength}; it was truncated.")]
    private static partial void LogPromptTruncated(ILogger logger, string prompt, int tokenCount, int contextLength);
}
