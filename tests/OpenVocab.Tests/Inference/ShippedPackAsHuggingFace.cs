using System.Text.Json;
using OpenVocab.Text;

namespace OpenVocab.Tests.Inference;

/// <summary>
/// Writes the shipped ShapesWorld pack's CLIP graphs and vocabulary as a transformers.js-layout folder (onnx/,
/// tokenizer.json, vocab.json + merges.txt, tokenizer_config.json, preprocessor_config.json, config.json), the files
/// Hugging Face tools write for a CLIP model, so that tests run the layout code on the shipped models.
/// </summary>
internal static class ShippedPackAsHuggingFace
{
    public static void Write(string folder)
    {
        Directory.CreateDirectory(Path.Combine(folder, "onnx"));
        File.Copy(Path.Combine(TestPaths.ShapesPack, "text.onnx"), Path.Combine(folder, "onnx", "text_model.onnx"));
        File.Copy(Path.Combine(TestPaths.ShapesPack, "vision.onnx"), Path.Combine(folder, "onnx", "vision_model.onnx"));

        // OpenAI's vocabulary construction from the merges file: byte symbols, the same with </w>, one per merge, specials.
        string[] merges = [.. File.ReadAllLines(Path.Combine(TestPaths.ShapesPack, "vocab.bpe.txt")).Skip(1).Where(l => l.Length > 0)];
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        int next = 0;
        foreach (char c in ClipByteEncoder.VocabularyOrder)
        {
            vocab[c.ToString()] = next++;
        }

        foreach (char c in ClipByteEncoder.VocabularyOrder)
        {
            vocab[c + "</w>"] = next++;
        }

        foreach (string merge in merges)
        {
            vocab[merge.Replace(" ", "", StringComparison.Ordinal)] = next++;
        }

        vocab["<|startoftext|>"] = next++;
        vocab["<|endoftext|>"] = next;

        var options = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(folder, "vocab.json"), JsonSerializer.Serialize(vocab, options));
        File.WriteAllLines(Path.Combine(folder, "merges.txt"), ["#version: 0.2", .. merges]);
        var tokenizer = new
        {
            version = "1.0",
            model = new { type = "BPE", unk_token = "<|endoftext|>", continuing_subword_prefix = "", end_of_word_suffix = "</w>", vocab, merges },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(tokenizer, options));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{ "model_max_length": 16, "tokenizer_class": "CLIPTokenizer" }""");
        File.WriteAllText(Path.Combine(folder, "config.json"), """{ "model_type": "clip", "architectures": ["CLIPModel"], "logit_scale_init_value": 2.6592 }""");
        File.WriteAllText(Path.Combine(folder, "preprocessor_config.json"), """
            {
              "crop_size": { "height": 64, "width": 64 },
              "do_center_crop": true, "do_normalize": true, "do_rescale": true, "do_resize": true,
              "image_mean": [0.48145466, 0.4578275, 0.40821073],
              "image_std": [0.26862954, 0.26130258, 0.27577711],
              "image_processor_type": "CLIPImageProcessor",
              "resample": 3, "rescale_factor": 0.00392156862745098,
              "size": { "shortest_edge": 64 }
            }
            """);
    }
}
