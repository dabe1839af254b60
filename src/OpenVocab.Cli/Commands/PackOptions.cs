using System.CommandLine;
using OpenVocab.Inference;

namespace OpenVocab.Cli.Commands;

/// <summary>
/// <c>--model</c>, <c>--allow-external-paths</c> and <c>--variant</c>, which every command that opens a pack takes
/// together: which pack, whether its manifest may name files outside the pack folder, and which ONNX variant of a
/// Hugging Face folder to load.
/// </summary>
internal sealed class PackOptions
{
    public Option<string?> Model { get; } = new("--model", "-m")
    {
        Description = "Model pack: a folder with openvocab.json, a Hugging Face CLIP ONNX folder, the manifest, a closed-set .onnx, "
            + "or hf:OWNER/NAME[@REVISION] from the cache (pulled when missing) (default: the shipped models/shapes).",
    };

    public Option<bool> AllowExternalPaths { get; } = new("--allow-external-paths")
    {
        Description = "Let the pack's manifest name files outside the pack folder (../x.onnx, absolute paths, links leading out); refused by default.",
    };

    public Option<string?> Variant { get; } = new("--variant")
    {
        Description = "For a Hugging Face folder: the ONNX variant to load, e.g. quantized (onnx/text_model_quantized.onnx); default the full-precision graphs.",
    };

    /// <summary>The pack path as given (hf: specs resolved through the cache), else the shipped pack.</summary>
    public string Path(ParseResult parse) => CliHost.ResolveModel(parse.GetValue(Model), parse.GetValue(Variant));

    /// <summary>Loads the chosen pack with the chosen containment rule and Hugging Face variant.</summary>
    public ModelPack Load(ParseResult parse) => Load(parse, Path(parse));

    /// <summary>Loads the pack at <paramref name="path"/> (chosen elsewhere, e.g. by a cameras file) with the options given here.</summary>
    public ModelPack Load(ParseResult parse, string path) =>
        ModelPack.Load(path, new ModelPackOptions
        {
            AllowExternalPaths = parse.GetValue(AllowExternalPaths),
            HuggingFace = new HuggingFaceClipOptions { Variant = parse.GetValue(Variant) },
        });
}
