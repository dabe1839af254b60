using System.CommandLine;
using OpenVocab.Inference;

namespace OpenVocab.Cli.Commands;

/// <summary>Options several commands take.</summary>
internal static class SharedOptions
{
    public static Option<ExecutionProvider> Device() => new("--device")
    {
        Description = "Execution provider; falls back to CPU with a warning when this build lacks it.",
        DefaultValueFactory = _ => ExecutionProvider.Cpu,
    };

    public static InferenceOptions Inference(ExecutionProvider provider) => new() { Provider = provider };
}
