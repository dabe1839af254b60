using System.CommandLine;
using OpenVocab.Classification;
using OpenVocab.Search;

namespace OpenVocab.Cli.Commands;

/// <summary><c>openvocab index DIR --out FILE</c>: builds or updates an image search index.</summary>
internal static class IndexCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("folder") { Description = "Folder of images (searched recursively)." };
        var output = new Option<string>("--out", "-o") { Description = "Index file to create or update.", Required = true };
        var pack = new PackOptions();
        var device = SharedOptions.Device();
        var command = new Command("index", "Embed a folder of images into an index file for search; an existing index is updated (only new or changed images are embedded).")
        {
            folder, output, pack.Model, pack.AllowExternalPaths, pack.Variant, device,
        };
        command.SetAction(parse => CliHost.RunCancellable(token =>
        {
            using var logging = CliHost.CreateLoggerFactory();
            using var encoder = ImageEncoder.Load(pack.Load(parse),
                SharedOptions.Inference(parse.GetValue(device)), logging.CreateLogger("openvocab"));
            ImageIndexBuildResult result;
            using (var bar = CliProgress.Start("index", null))
            {
                var progress = new SyncProgress(p => bar.Report(p.Done, p.Total));
                result = ImageIndex.Build(parse.GetValue(folder)!, parse.GetValue(output)!, encoder, null, progress, token);
            }

            Console.WriteLine($"{result.Index.Count} images in {parse.GetValue(output)}: added {result.Added.Count}, updated {result.Updated.Count}, unchanged {result.Unchanged.Count}, removed {result.Removed.Count}, failed {result.Failed.Count}");
            foreach (ImageIndexFailure f in result.Failed)
            {
                Console.WriteLine($"  failed: {f.Path}: {f.Reason}");
            }

            return 0;
        }, "interrupted: the images embedded so far are saved; run the same command again to continue."));
        return command;
    }

    /// <summary>Reports on the build's own thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<ImageIndexProgress> report) : IProgress<ImageIndexProgress>
    {
        public void Report(ImageIndexProgress value) => report(value);
    }
}
