using Microsoft.Extensions.Logging;
using OpenVocab.Inference;

namespace OpenVocab.Text;

public sealed partial class ClipTokenizer
{
    /// <summary>Loads the tokenizer a model pack's text encoder names (Hugging Face tokenizer.json, OpenAI BPE file, or Hugging Face vocab + merges).</summary>
    /// <param name="pack">The pack.</param>
    /// <param name="contextLength">Overrides the pack's context length when given.</param>
    /// <exception cref="ModelLoadException">The pack has no text encoder, or its tokenizer files are missing or invalid.</exception>
    public static ClipTokenizer FromPack(ModelPack pack, int? contextLength = null)
    {
        ArgumentNullException.ThrowIfNull(pack);
        var text = pack.Manifest.TextEncoder
            ?? throw new ModelLoadException($"Model pack '{pack.Directory}' has no text encoder, so no tokenizer: expected a \"textEncoder\" entry.");
        var length = contextLength ?? text.ContextLength;
        return text.Tokenizer switch
        {
            { Json: { } json } => FromTokenizerJson(pack.Resolve(json), length),
            { Bpe: { } bpe } => FromBpeFile(pack.Resolve(bpe), length),
            _ => FromHuggingFace(pack.Resolve(text.Tokenizer.Vocab!), pack.Resolve(text.Tokenizer.Merges!), length),
        };
    }
}

public sealed partial class TextEncoder
{
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
}
