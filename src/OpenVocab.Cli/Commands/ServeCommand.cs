using System.CommandLine;
using OpenVocab.Cluster.Client;
using OpenVocab.Cluster.Hosting;
using OpenVocab.Server;

namespace OpenVocab.Cli.Commands;

/// <summary>
/// <c>openvocab serve [--model DIR] [--urls URL] [--grpc-url URL] [--index FILE] [--api-key KEY] [--cameras FILE | --cluster HOST:PORT]</c>: runs the server
/// until Ctrl+C or SIGTERM. Further settings go through .NET configuration (appsettings.json, <c>Server__Key</c>
/// environment variables, or <c>--Server:Key=value</c> here); the options named above are shorthands for those keys.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new PackOptions().Model;
        var urls = new Option<string?>("--urls") { Description = "Where REST and the web page listen (default http://127.0.0.1:5090; loopback unless you say otherwise)." };
        var grpcUrl = new Option<string?>("--grpc-url") { Description = "Where gRPC listens (default http://127.0.0.1:5091; \"\" turns it off)." };
        var index = new Option<string?>("--index") { Description = "Image index file (from 'openvocab index') that /v1/search answers from." };
        var apiKey = new Option<string?>("--api-key") { Description = "Require this key in X-Api-Key (or Authorization: Bearer) on every route except health." };
        var cameras = new Option<string?>("--cameras") { Description = "Cameras file (YAML/JSON, as for 'openvocab cameras'): its cameras start with the server; /v1/cameras adds, re-classes and removes cameras." };
        var cluster = new Option<string?>("--cluster") { Description = "Front a camera cluster (see 'openvocab cluster'): /v1/cameras adds, re-classes, lists and removes the cluster's cameras, through its Redis at HOST:PORT." };
        var device = SharedOptions.Device();
        var command = new Command("serve", "Serve detection, classification, embeddings and search over HTTP (REST + web page) and gRPC.")
        {
            model, urls, grpcUrl, index, apiKey, cameras, cluster, device,
        };
        command.TreatUnmatchedTokensAsErrors = false; // --Server:Key=value settings pass through to configuration
        command.SetAction((parse, _) =>
        {
            var args = new List<string>(parse.UnmatchedTokens);
            try
            {
                var explicitModel = parse.GetValue(model);
                if (explicitModel is not null || !args.Any(a => a.StartsWith("--Server:Model", StringComparison.OrdinalIgnoreCase)))
                {
                    args.Add($"--Server:Model={CliHost.ResolveModel(explicitModel)}");
                }
            }
            catch (OpenVocabException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return Task.FromResult(1);
            }

            Add(args, "Url", parse.GetValue(urls));
            Add(args, "GrpcUrl", parse.GetValue(grpcUrl));
            Add(args, "Index", parse.GetValue(index));
            Add(args, "ApiKey", parse.GetValue(apiKey));
            Add(args, "Cameras", parse.GetValue(cameras));
            if (parse.GetResult(device) is { Implicit: false })
            {
                Add(args, "Device", parse.GetValue(device).ToString());
            }

            // The server owns SIGTERM/Ctrl+C handling (graceful shutdown); System.CommandLine's token is not used.
            return parse.GetValue(cluster) is { } redis ? ServeClusterAsync([.. args], redis, parse.GetValue(cameras) is not null) : OpenVocabServer.RunAsync([.. args], Console.Error);
        });
        return command;
    }

    private static async Task<int> ServeClusterAsync(string[] args, string redis, bool camerasFile)
    {
        if (camerasFile)
        {
            await Console.Error.WriteLineAsync("error: --cameras and --cluster do not go together: with --cluster the cameras run on the cluster's silos ('openvocab cluster add FILE').").ConfigureAwait(false);
            return 1;
        }

        CameraClusterClient client;
        try
        {
            client = await CameraClusterClient.ConnectAsync(new CameraClusterOptions(redis), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return 1;
        }

        await using (client.ConfigureAwait(false))
        {
            return await OpenVocabServer.RunAsync(args, Console.Error, new ClusterCameraControl(client)).ConfigureAwait(false);
        }
    }

    private static void Add(List<string> args, string key, string? value)
    {
        if (value is not null)
        {
            args.Add($"--Server:{key}={value}");
        }
    }
}
