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

    /// <summary>Threads for one operator; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads
    {
        get => _intraOpThreads;
        init => _intraOpThreads = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), value, "Thread count must be 0 (automatic) or more.");
    }

    /// <summary>Graph optimisation level.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>
    /// Whether ONNX Runtime's idle worker threads spin waiting for the next operator (its default). Spinning shaves
    /// latency off back-to-back runs but burns cores that decoding and preprocessing could use: turn it off when the
    /// model shares the CPU with other work, as in a video pipeline on few cores.
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
