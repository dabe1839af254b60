using Microsoft.ML.OnnxRuntime;

namespace OpenVocab.Inference;

/// <summary>How ONNX sessions are created. Immutable; validated on construction of each value.</summary>
public sealed record InferenceOptions
{
    private readonly int _deviceId;
    private readonly int _intraOpThreads;

    /// <summary>Defaults: CPU, ONNX Runtime's own thread count, all graph optimisations.</summary>
    public static InferenceOptions Default { get; } = new();

    /// <summary>Preferred provider; when it is not in the native package the session falls back to CPU with a warning.</summary>
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Cpu;

    /// <summary>GPU index for GPU providers.</summary>
    public int DeviceId
    {
        get => _deviceId;
        init => _deviceId = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(DeviceId), value, "Device id must be 0 or more.");
    }

    /// <summary>
    /// Threads for one operator; 0 (the default) means one per physical core. On Linux the library counts the cores
    /// itself from sysfs (ONNX Runtime 1.31 counted one core on a 2-core VM, and ran 1.4x slower than with two
    /// threads); elsewhere ONNX Runtime's own count is used.
    /// </summary>
    public int IntraOpThreads
    {
        get => _intraOpThreads;
        init => _intraOpThreads = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), value, "Thread count must be 0 (automatic) or more.");
    }

    /// <summary>Graph optimisation level.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>
    /// Whether ONNX Runtime's idle worker threads spin waiting for the next operator (its default). Spinning shaves
    /// latency off back-to-back runs at the price of CPU time: off, a detect call on the shipped pack used 12 % less
    /// CPU at the same speed, but the video pipeline on 2 cores ran 12-20 % slower. Turn it off when other processes
    /// need the cores more than this one needs speed.
    /// </summary>
    public bool AllowSpinning { get; init; } = true;

    /// <summary>
    /// A folder where each session saves its graph after ONNX Runtime's optimisations, keyed by the model file's
    /// name, size, time stamp and these options, and loads it from there next time without optimising again. Saves
    /// start-up time on large models. Null (the default) optimises at every load. The saved graphs suit this machine
    /// and ONNX Runtime version only.
    /// </summary>
    public string? OptimizedModelCache { get; init; }
}
