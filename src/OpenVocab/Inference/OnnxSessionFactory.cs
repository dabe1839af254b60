using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace OpenVocab.Inference;

/// <summary>Opens ONNX sessions with the chosen execution provider, falling back to CPU (with a warning) when it is missing.</summary>
public static partial class OnnxSessionFactory
{
    /// <summary>Opens <paramref name="modelPath"/>; errors name the file and what was expected.</summary>
    /// <exception cref="ModelLoadException">The file is missing or not a loadable ONNX model.</exception>
    public static InferenceSession Create(string modelPath, InferenceOptions? options = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        options ??= InferenceOptions.Default;
        // ONNX Runtime reports a link loop as a bare "system error number 40" and a folder without saying it is one.
        var real = LinkResolver.Resolve(modelPath)
            ?? throw new ModelLoadException(modelPath, $"is a symlink loop: following its links comes back around (or passes more than {LinkResolver.MaxLinks} links) " +
                "instead of reaching a file; expected an ONNX model file.", null);
        if (Directory.Exists(real))
        {
            throw new ModelLoadException(modelPath, "is a folder; expected an ONNX model file.", null);
        }

        if (!File.Exists(real))
        {
            throw new ModelLoadException(real == Path.GetFullPath(modelPath)
                ? $"ONNX model '{modelPath}' does not exist."
                : $"ONNX model '{modelPath}' is a link to '{real}', which does not exist.");
        }

        if (new FileInfo(real).Length == 0)
        {
            throw new ModelLoadException($"ONNX model '{modelPath}' is empty (0 bytes): expected an ONNX protobuf file.");
        }

        logger ??= NullLogger.Instance;
        if (options.OptimizedModelCache is { } cache)
        {
            var cached = CachedGraphPath(cache, modelPath, options);
            if (File.Exists(cached))
            {
                try
                {
                    // Already optimised for this machine: optimising again would only cost start-up time.
                    return Open(modelPath, cached, options, GraphOptimizationLevel.ORT_DISABLE_ALL, null, logger);
                }
                catch (ModelLoadException e)
                {
                    LogCacheUnreadable(logger, cached, e.Message);
                    File.Delete(cached);
                }
            }

            try
            {
                Directory.CreateDirectory(cache);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogCacheUnwritable(logger, cached, e.Message);
                return Open(modelPath, modelPath, options, options.OptimizationLevel, null, logger);
            }

            // Written under a temporary name and moved into place, so a concurrent load never reads half a file.
            var temporary = $"{cached}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
            var session = Open(modelPath, modelPath, options, options.OptimizationLevel, temporary, logger);
            try
            {
                File.Move(temporary, cached, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogCacheUnwritable(logger, cached, e.Message);
                File.Delete(temporary);
            }

            return session;
        }

        return Open(modelPath, modelPath, options, options.OptimizationLevel, null, logger);
    }

    private static InferenceSession Open(string modelPath, string file, InferenceOptions options, GraphOptimizationLevel level, string? saveOptimizedTo, ILogger logger)
    {
        var sessionOptions = new SessionOptions { GraphOptimizationLevel = level };
        try
        {
            if ((options.IntraOpThreads > 0 ? options.IntraOpThreads : PhysicalCores.Value) is int threads and > 0)
            {
                sessionOptions.IntraOpNumThreads = threads;
            }

            if (!options.AllowSpinning)
            {
                sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            }

            if (saveOptimizedTo is not null)
            {
                sessionOptions.OptimizedModelFilePath = saveOptimizedTo;
                // ONNX Runtime warns on stderr that the saved graph is machine-specific; the option's docs say so.
                sessionOptions.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
            }

            AppendProvider(sessionOptions, options, modelPath, logger);
            return new InferenceSession(file, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException(
                $"ONNX model '{file}' could not be loaded: expected a complete ONNX model file (ONNX Runtime says: {e.Message}).", e);
        }
        finally
        {
            sessionOptions.Dispose();
        }
    }

    /// <summary>Where the optimised graph of <paramref name="modelPath"/> is kept: a new name whenever the model file,
    /// the options that shape optimisation, or the ONNX Runtime version change.</summary>
    private static string CachedGraphPath(string cache, string modelPath, InferenceOptions options)
    {
        var info = new FileInfo(modelPath);
        var key = string.Join('|', Path.GetFullPath(modelPath), info.Length, info.LastWriteTimeUtc.Ticks, options.OptimizationLevel,
            options.Provider, options.DeviceId, OrtEnv.Instance().GetVersionString());
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..16];
        return Path.Combine(cache, $"{Path.GetFileNameWithoutExtension(modelPath)}.{hash}.onnx");
    }

    /// <summary>
    /// Physical cores on Linux (CPUs that share a thread-siblings list are one core), at most the processors this
    /// process may use; 0 elsewhere or when sysfs cannot tell, leaving the count to ONNX Runtime.
    /// </summary>
    private static readonly Lazy<int> PhysicalCores = new(() =>
    {
        const string cpus = "/sys/devices/system/cpu";
        if (!OperatingSystem.IsLinux() || !Directory.Exists(cpus))
        {
            return 0;
        }

        try
        {
            var cores = Directory.GetDirectories(cpus, "cpu*")
                .Select(dir => Path.Combine(dir, "topology", "thread_siblings_list"))
                .Where(File.Exists)
                .Select(file => File.ReadAllText(file).Trim())
                .Distinct(StringComparer.Ordinal)
                .Count();
            return Math.Min(cores, Environment.ProcessorCount);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    });

    /// <summary>Providers compiled into the loaded ONNX Runtime native library.</summary>
    public static IReadOnlyList<string> AvailableProviders() => OrtEnv.Instance().GetAvailableProviders();

    private static void AppendProvider(SessionOptions sessionOptions, InferenceOptions options, string modelPath, ILogger logger)
    {
        if (options.Provider == ExecutionProvider.Cpu)
        {
            return;
        }

        var native = ProviderName(options.Provider);
        if (!AvailableProviders().Contains(native))
        {
            LogProviderMissing(logger, options.Provider, modelPath, string.Join(", ", AvailableProviders()));
            return;
        }

        try
        {
            switch (options.Provider)
            {
                case ExecutionProvider.Cuda: sessionOptions.AppendExecutionProvider_CUDA(options.DeviceId); break;
                case ExecutionProvider.TensorRT: sessionOptions.AppendExecutionProvider_Tensorrt(options.DeviceId); break;
                case ExecutionProvider.DirectML: sessionOptions.AppendExecutionProvider_DML(options.DeviceId); break;
                case ExecutionProvider.OpenVino: sessionOptions.AppendExecutionProvider_OpenVINO(); break;
                case ExecutionProvider.CoreML: sessionOptions.AppendExecutionProvider_CoreML(); break;
                default: throw new ArgumentOutOfRangeException(nameof(options), options.Provider, "Unknown execution provider.");
            }
        }
        catch (Exception e) when (e is EntryPointNotFoundException or OnnxRuntimeException or DllNotFoundException)
        {
            // The CPU-only native package lacks the entry points; a GPU package without its drivers fails here too.
            LogProviderFailed(logger, options.Provider, modelPath, e.Message);
        }
    }

    private static string ProviderName(ExecutionProvider provider) => provider switch
    {
        ExecutionProvider.Cuda => "CUDAExecutionProvider",
        ExecutionProvider.TensorRT => "TensorrtExecutionProvider",
        ExecutionProvider.DirectML => "DmlExecutionProvider",
        ExecutionProvider.OpenVino => "OpenVINOExecutionProvider",
        ExecutionProvider.CoreML => "CoreMLExecutionProvider",
        _ => "CPUExecutionProvider",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution provider {Provider} is not in this ONNX Runtime build (available: {Available}); '{Model}' runs on CPU. Build with -p:OpenVocabGpu=true for CUDA/TensorRT.")]
    private static partial void LogProviderMissing(ILogger logger, ExecutionProvider provider, string model, string available);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Optimised graph '{Cached}' could not be loaded ({Reason}); optimising the original again.")]
    private static partial void LogCacheUnreadable(ILogger logger, string cached, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Optimised graph could not be saved as '{Cached}' ({Reason}); the next load optimises again.")]
    private static partial void LogCacheUnwritable(ILogger logger, string cached, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution provider {Provider} could not start ({Reason}); '{Model}' runs on CPU.")]
    private static partial void LogProviderFailed(ILogger logger, ExecutionProvider provider, string model, string reason);
}
