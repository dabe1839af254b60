using System.CommandLine;
using OpenVocab.Cli.Commands;

namespace OpenVocab.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("openvocab: open-vocabulary object detection with runtime text prompts (CLIP + YOLO-World-style ONNX).")
        {
            DetectCommand.Create(),
            EvalCommand.Create(),
            TokenizeCommand.Create(),
            InfoCommand.Create(),
            ClassifyCommand.Create(),
            EmbedCommand.Create(),
            IndexCommand.Create(),
            SearchCommand.Create(),
            VideoCommand.Create(),
            BenchCommand.Create(),
            ModelsCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }
}
