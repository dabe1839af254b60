using System.CommandLine;
using OpenVocab.Inference;

namespace OpenVocab.Cli.Commands;

/// <summary>
/// <c>--model</c> and <c>--allow-external-paths</c>, which every command that opens a pack takes together: which pack,
/// and whether its manifest may name files outside the pack folder.
/// </summary>
internal sealed class PackOptions
{
    public Option<string?> Model { get; } = new("--model", "-m")
    {
        Description = "Model pack: a folder with openvocab.json, the manifest, or a closed-set .onnx (default: the shipped models/shapes).",
    };

    public Option<bool> AllowExternalPaths { get; } = new("--allow-external-paths")
    {
        Description = "Let the pack's manifest name files outside the pack folder (../x.onnx, absolute paths, links leading out); refused by default.",
    };

    /// <summary>The pack path as given, else the shipped pack.</summary>
    public string Path(ParseResult parse) => CliHost.ResolveModel(parse.GetValue(Model));

    /// <summary>Loads the chosen pack with the chosen containment rule.</summary>
    public ModelPack Load(ParseResult parse) =>
        ModelPack.Load(Path(parse), new ModelPackOptions { AllowExternalPaths = parse.GetValue(AllowExternalPaths) });
}
