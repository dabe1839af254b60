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
        if (!File.Exists(modelPath))
        {
            throw new ModelLoadException($"ONNX model '{modelPath}' does not exist.");
        }

        if (new FileInfo(modelPath).Length == 0)
        {
            throw new ModelLoadException($"ONNX model '{modelPath}' is empty (0 bytes): expected an ONNX protobuf file.");
        }

        var sessionOptions = new SessionOptions { GraphOptimizationLevel = options.OptimizationLevel };
        try
        {
            if (options.IntraOpThreads > 0)
            {
                sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
            }

            AppendProvider(sessionOptions, options, modelPath, logger ?? NullLogger.Instance);
            return new InferenceSession(modelPath, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException(
                $"ONNX model '{modelPath}' could not be loaded: expected a complete ONNX model file (ONNX Runtime says: {e.Message}).", e);
        }
        finally
        {
            sessionOptions.Dispose();
        }
    }

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution provider {Provider} could not start ({Reason}); '{Model}' runs on CPU.")]
    private static partial void LogProviderFailed(ILogger logger, ExecutionProvider provider, string model, string reason);
}
