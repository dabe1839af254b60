using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenVocab.Detection;
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
    public static string ResolveModel(string? model, string? variant = null)
    {
        if (model is not null && model.StartsWith(HubPrefix, StringComparison.Ordinal))
        {
            var cache = Models.ModelCache.FromEnvironment();
            string spec = model[HubPrefix.Length..];
            var (repo, revision) = Models.ModelCache.ParseSpec(spec);
            return cache.FindLocal(repo, revision)
                ?? (cache.Offline
                    ? cache.ResolveAsync(spec, null, CancellationToken.None).GetAwaiter().GetResult()
                    : Commands.ModelsCommand.PullWithProgress(cache, spec, variant, false, CancellationToken.None));
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

    /// <summary>
    /// Builds detection options from the command line; a value out of range is reported by the option the user typed
    /// (<c>--conf</c>) rather than the property (<c>Confidence</c>), before any model loads.
    /// </summary>
    public static DetectionOptions Thresholds(Func<DetectionOptions> build)
    {
        try
        {
            return build();
        }
        catch (ArgumentOutOfRangeException e)
        {
            var option = e.ParamName switch
            {
                nameof(DetectionOptions.Confidence) or nameof(DetectionOptions.ClassConfidence) => "--conf",
                nameof(DetectionOptions.IoU) => "--iou",
                nameof(DetectionOptions.MaxDetections) => "--max-det",
                _ => e.ParamName,
            };

            // ArgumentException appends " (Parameter '...')" and the value to its message; the option and value lead here instead.
            var reason = e.Message.Split(" (Parameter", 2)[0];
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{option} {e.ActualValue} is out of range: {reason}"), e);
        }
    }

    /// <summary>
    /// Splits "a, b" style values, so that a list may be given as several arguments or one comma-separated string,
    /// and refuses a blank item (an empty argument, "a,,b", a trailing comma) by its position, as the library refuses
    /// a blank prompt: dropping it silently would run with fewer classes than the user wrote.
    /// </summary>
    /// <param name="values">The option's values; null when the option was not given.</param>
    /// <param name="option">The option, for the message ("--classes").</param>
    /// <param name="item">What one item is called in the message ("prompt").</param>
    public static string[] SplitList(IEnumerable<string>? values, string option, string item) =>
        RequireText(values?.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)).ToArray(), option, item);

    /// <summary>Refuses a blank value of <paramref name="option"/> by its position (1-based, as a user counts).</summary>
    /// <returns>The values; empty when the option was not given.</returns>
    public static string[] RequireText(string[]? values, string option, string item)
    {
        values ??= [];
        for (var i = 0; i < values.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(values[i]))
            {
                var given = string.Join(", ", values.Select(v => $"\"{v}\""));
                throw new ArgumentException(values.Length == 1
                    ? $"{option} is blank; expected some text."
                    : $"{option}: {item} {i + 1} of {values.Length} is blank (got {given}); every {item} needs some text.");
            }
        }

        return values;
    }
}
