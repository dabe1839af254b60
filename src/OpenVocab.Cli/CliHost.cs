using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenVocab.Inference;

namespace OpenVocab.Cli;

/// <summary>What every command shares: the default pack, logging to stderr, and turning errors into exit codes.</summary>
internal static class CliHost
{
    /// <summary>Relative location of the shipped ShapesWorld pack, in the repository and beside the installed tool.</summary>
    private static readonly string ShippedPack = Path.Combine("models", "shapes");

    /// <summary>Prefix of a model given as a Hugging Face repository, resolved through the cache.</summary>
    public const string HubPrefix = "hf:";

    /// <summary>
    /// The pack to use: the one given (a folder, manifest or .onnx; or <c>hf:OWNER/NAME[@REVISION]</c>, taken from the
    /// cache and pulled first when missing), else the shipped pack found from the working folder or the tool's folder.
    /// </summary>
    public static string ResolveModel(string? model)
    {
        if (model is not null && model.StartsWith(HubPrefix, StringComparison.Ordinal))
        {
            var cache = Models.ModelCache.FromEnvironment();
            string spec = model[HubPrefix.Length..];
            var (repo, revision) = Models.ModelCache.ParseSpec(spec);
            return cache.FindLocal(repo, revision)
                ?? (cache.Offline
                    ? cache.ResolveAsync(spec, null, CancellationToken.None).GetAwaiter().GetResult()
                    : Commands.ModelsCommand.PullWithProgress(cache, spec, null, false, CancellationToken.None));
        }

        if (!string.IsNullOrWhiteSpace(model))
        {
            return model;
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, ShippedPack);
                if (File.Exists(Path.Combine(candidate, ModelPack.ManifestFileName)))
                {
                    return candidate;
                }
            }
        }

        throw new OpenVocabException($"No --model given and the shipped pack ({ShippedPack}) was not found from '{Environment.CurrentDirectory}' or '{AppContext.BaseDirectory}'.");
    }

    /// <summary>Warnings and errors from the library, on stderr so that --json output stays clean.</summary>
    public static ILoggerFactory CreateLoggerFactory() => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(LogLevel.Warning);
        builder.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });

    /// <summary>Runs a command body, printing expected errors as one line on stderr with exit code 1.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is OpenVocabException or ArgumentException or InvalidOperationException or IOException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// Runs a long command body that Ctrl+C stops through its token: the body saves what it finished, then
    /// <paramref name="interrupted"/> is printed on stderr and the exit code is 130.
    /// </summary>
    public static int RunCancellable(Func<CancellationToken, int> body, string interrupted)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return Run(() => body(cancel.Token));
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine();
            Console.Error.WriteLine(interrupted);
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Splits "a, b" style values so classes may be given as several arguments or one comma-separated string.</summary>
    public static string[] SplitList(IEnumerable<string>? values) => values is null ? [] :
        [.. values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))];
}
