using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using OpenVocab.Text;

namespace OpenVocab.Tests.Text;

/// <summary>TextEncoder against small generated ONNX graphs whose output is known in closed form.</summary>
public sealed class TextEncoderTests
{
    private static readonly ClipTokenizer Tokenizer16 = StockTokenizer.Instance.WithContextLength(16);

    private static TextEncoder Create(TinyTextModel model, ClipTokenizer? tokenizer = null, ILogger? logger = null, TextEncoderOptions? options = null)
    {
        var session = new InferenceSession(model.Build());
        try
        {
            return new TextEncoder(session, tokenizer ?? Tokenizer16, model.InputIdsName, model.OutputName, logger, options);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static void AssertEmbedding(TinyTextModel model, string prompt, ReadOnlySpan<float> actual)
    {
        var ids = new long[model.ContextLength];
        ClipTokenizationInfo info = Tokenizer16.Tokenize(prompt, ids);
        float[] expected = model.Expected(ids, info.Length);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-4, $"'{prompt}'[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Embeddings_are_the_graph_output_normalised(bool withMask)
    {
        var model = new TinyTextModel { WithMask = withMask };
        using TextEncoder encoder = Create(model);
        string[] prompts = ["a photo of a dog", "red backpack", "x"];

        IReadOnlyList<ReadOnlyMemory<float>> embeddings = encoder.Encode(prompts);

        Assert.Equal(8, encoder.Dimension);
        Assert.Equal(3, embeddings.Count);
        for (int i = 0; i < prompts.Length; i++)
        {
            AssertEmbedding(model, prompts[i], embeddings[i].Span);
            Assert.Equal(1.0, Math.Sqrt(embeddings[i].ToArray().Sum(v => (double)v * v)), 5);
        }

        Assert.Equal(1, encoder.InferenceRuns);
    }

    [Fact]
    public void Mask_covers_up_to_and_including_end_of_text()
    {
        var model = new TinyTextModel { WithMask = true };
        using TextEncoder encoder = Create(model);
        float[] actual = encoder.Encode("red backpack").ToArray();

        // A mask one longer or shorter changes the embedding well beyond the tolerance.
        var ids = new long[16];
        int length = Tokenizer16.Tokenize("red backpack", ids).Length;
        Assert.Equal(4, length);
        foreach (int wrong in new[] { length - 1, length + 1, 16 })
        {
            float[] other = model.Expected(ids, wrong);
            Assert.True(Enumerable.Range(0, 8).Max(i => Math.Abs(other[i] - actual[i])) > 1e-3, $"mask length {wrong} indistinguishable");
        }

        AssertEmbedding(model, "red backpack", actual);
    }

    [Fact]
    public void Cache_serves_seen_prompts_without_inference_and_batches_new_ones_in_one_run()
    {
        var model = new TinyTextModel();
        using TextEncoder encoder = Create(model);

        IReadOnlyList<ReadOnlyMemory<float>> first = encoder.Encode(["cat", "dog"]);
        Assert.Equal(1, encoder.InferenceRuns);
        Assert.Equal(2, encoder.CachedPrompts);

        IReadOnlyList<ReadOnlyMemory<float>> again = encoder.Encode(["dog", "cat"]);
        Assert.Equal(1, encoder.InferenceRuns);
        Assert.Equal(first[1].ToArray(), again[0].ToArray());
        Assert.Equal(first[0].ToArray(), again[1].ToArray());

        // Two new prompts (one repeated) and a cached one: one run for the new ones, order kept.
        string[] mixed = ["bird", "cat", "fish", "bird"];
        IReadOnlyList<ReadOnlyMemory<float>> third = encoder.Encode(mixed);
        Assert.Equal(2, encoder.InferenceRuns);
        Assert.Equal(4, encoder.CachedPrompts);
        for (int i = 0; i < mixed.Length; i++)
        {
            AssertEmbedding(model, mixed[i], third[i].Span);
        }

        encoder.ClearCache();
        Assert.Equal(0, encoder.CachedPrompts);
        encoder.Encode(["cat"]);
        Assert.Equal(3, encoder.InferenceRuns);
    }

    [Fact]
    public void Cache_evicts_least_recently_used()
    {
        using TextEncoder encoder = Create(new TinyTextModel(), options: new TextEncoderOptions { CacheCapacity = 2 });
        encoder.Encode(["a", "b"]);
        encoder.Encode(["a"]);          // hit: a is now the most recent
        encoder.Encode(["c"]);          // evicts b
        Assert.Equal(2, encoder.InferenceRuns);
        Assert.Equal(2, encoder.CachedPrompts);

        encoder.Encode(["a", "c"]);
        Assert.Equal(2, encoder.InferenceRuns);
        encoder.Encode(["b"]);
        Assert.Equal(3, encoder.InferenceRuns);
    }

    [Fact]
    public void Large_sets_run_in_chunks_of_max_batch()
    {
        var model = new TinyTextModel();
        using TextEncoder encoder = Create(model, options: new TextEncoderOptions { MaxBatchSize = 2 });
        string[] prompts = ["one", "two", "three", "four", "five"];

        IReadOnlyList<ReadOnlyMemory<float>> embeddings = encoder.Encode(prompts);

        Assert.Equal(3, encoder.InferenceRuns);
        for (int i = 0; i < prompts.Length; i++)
        {
            AssertEmbedding(model, prompts[i], embeddings[i].Span);
        }
    }

    [Fact]
    public void Fixed_batch_graph_is_fed_full_batches()
    {
        var model = new TinyTextModel { FixedBatch = 2, WithMask = true };
        using TextEncoder encoder = Create(model);
        string[] prompts = ["one", "two", "three"];

        IReadOnlyList<ReadOnlyMemory<float>> embeddings = encoder.Encode(prompts);

        Assert.Equal(2, encoder.InferenceRuns);
        for (int i = 0; i < prompts.Length; i++)
        {
            AssertEmbedding(model, prompts[i], embeddings[i].Span);
        }
    }

    [Fact]
    public void Dynamic_dimension_is_learnt_from_a_run()
    {
        var model = new TinyTextModel { FixDimension = false, FixSequenceLength = false };
        using (var probe = new InferenceSession(model.Build()))
        {
            Assert.True(probe.OutputMetadata["text_embeds"].Dimensions[1] <= 0, "the graph's D should be dynamic");
        }

        using TextEncoder encoder = Create(model);

        Assert.Equal(8, encoder.Dimension);
        Assert.Equal(1, encoder.InferenceRuns);
        Assert.Equal(0, encoder.CachedPrompts);
        AssertEmbedding(model, "cat", encoder.Encode("cat").Span);
    }

    [Fact]
    public void EncodeInto_writes_rows()
    {
        var model = new TinyTextModel();
        using TextEncoder encoder = Create(model);
        var destination = new float[2 * 8 + 1];
        destination[^1] = 42f;

        encoder.EncodeInto(["cat", "red backpack"], destination);

        AssertEmbedding(model, "cat", destination.AsSpan(0, 8));
        AssertEmbedding(model, "red backpack", destination.AsSpan(8, 8));
        Assert.Equal(42f, destination[^1]);
        Assert.Throws<ArgumentException>(() => encoder.EncodeInto(["cat", "dog"], new float[15]));
    }

    [Fact]
    public void Long_prompt_is_truncated_with_a_warning()
    {
        var model = new TinyTextModel();
        var logger = new ListLogger();
        using TextEncoder encoder = Create(model, logger: logger);
        string prompt = string.Join(' ', Enumerable.Repeat("a", 30));

        encoder.Encode([prompt, "cat"]);

        string warning = Assert.Single(logger.Messages);
        Assert.Contains(prompt, warning, StringComparison.Ordinal);
        Assert.Contains("32", warning, StringComparison.Ordinal);
        Assert.Contains("16", warning, StringComparison.Ordinal);
        Assert.Equal(LogLevel.Warning, Assert.Single(logger.Levels));
    }

    [Fact]
    public void Invalid_prompts_are_rejected_with_their_index()
    {
        using TextEncoder encoder = Create(new TinyTextModel());
        Assert.Throws<ArgumentException>(() => encoder.Encode(Array.Empty<string>()));
        Assert.Throws<ArgumentNullException>(() => encoder.Encode((IReadOnlyList<string>)null!));
        var ex = Assert.Throws<ArgumentException>(() => encoder.Encode(["cat", null!]));
        Assert.Contains("prompts[1]", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => encoder.Encode(["cat", "dog", "  \t"]));
        Assert.Contains("prompts[2]", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, encoder.InferenceRuns);
    }

    [Fact]
    public void Disposed_encoder_throws()
    {
        TextEncoder encoder = Create(new TinyTextModel());
        encoder.Dispose();
        encoder.Dispose();
        Assert.Throws<ObjectDisposedException>(() => encoder.Encode(["cat"]));
    }

    [Fact]
    public void Graph_mismatches_name_tensor_expected_and_actual()
    {
        // Sequence length fixed at 8, tokenizer context 16.
        var ex = Assert.Throws<ModelMismatchException>(() => Create(new TinyTextModel { ContextLength = 8 }));
        Assert.Equal("input_ids", ex.TensorName);
        Assert.Contains("[B, 16]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("8]", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<ModelMismatchException>(() => Create(new TinyTextModel { IdsAsInt32 = true }));
        Assert.Contains("int64", ex.Message, StringComparison.Ordinal);
        Assert.Contains("int32", ex.Message, StringComparison.Ordinal);

        var model = new TinyTextModel();
        using (var session = new InferenceSession(model.Build()))
        {
            ex = Assert.Throws<ModelMismatchException>(() => new TextEncoder(session, Tokenizer16, "ids", "text_embeds"));
            Assert.Equal("ids", ex.TensorName);
            Assert.Contains("input_ids", ex.Message, StringComparison.Ordinal);
            ex = Assert.Throws<ModelMismatchException>(() => new TextEncoder(session, Tokenizer16, "input_ids", "pooled"));
            Assert.Equal("pooled", ex.TensorName);
        }

        ex = Assert.Throws<ModelMismatchException>(() => Create(new TinyTextModel { ExtraInput = "position_ids" }));
        Assert.Equal("position_ids", ex.TensorName);
    }

    [Fact]
    public void Concurrent_encoding_is_consistent()
    {
        var model = new TinyTextModel { WithMask = true };
        using TextEncoder encoder = Create(model, options: new TextEncoderOptions { CacheCapacity = 3 });
        string[] prompts = ["cat", "dog", "bird", "fish", "red backpack", "a photo of a dog"];
        Parallel.For(0, 64, i =>
        {
            string[] set = [prompts[i % prompts.Length], prompts[(i * 5 + 1) % prompts.Length]];
            IReadOnlyList<ReadOnlyMemory<float>> e = encoder.Encode(set);
            AssertEmbedding(model, set[0], e[0].Span);
            AssertEmbedding(model, set[1], e[1].Span);
        });
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Messages { get; } = [];

        public List<LogLevel> Levels { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages)
            {
                Messages.Add(formatter(state, exception));
                Levels.Add(logLevel);
            }
        }
    }
}
