using System.ComponentModel.DataAnnotations;

namespace OpenVocab.Server;

/// <summary>
/// Everything <c>openvocab serve</c> can be told, bound from the <c>Server</c> section of configuration
/// (appsettings.json, then <c>OPENVOCAB_Server__*</c> environment variables, then the command line, later winning)
/// and validated when the host starts: a bad value stops the start with a message naming the key.
/// Immutable once bound.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string Section = "Server";

    /// <summary>Model pack folder (or detector .onnx). Empty: the shipped pack, found from the working or tool folder.</summary>
    public string? Model { get; init; }

    /// <summary>
    /// Where REST and the web page listen (HTTP/1.1), e.g. <c>http://127.0.0.1:5090</c>; port 0
    /// picks a free port. Loopback by default: listening on other interfaces must be asked for.
    /// </summary>
    [Required]
    public string Url { get; init; } = "http://127.0.0.1:5090";

    /// <summary>Where gRPC listens (cleartext HTTP/2 needs its own port); empty turns gRPC off.</summary>
    public string? GrpcUrl { get; init; } = "http://127.0.0.1:5091";

    /// <summary>An image index file (from <c>openvocab index</c>) that <c>/v1/search</c> answers from; none: no search.</summary>
    public string? Index { get; init; }

    /// <summary>
    /// A cameras file (YAML/JSON, as for <c>openvocab cameras</c>) whose cameras start once the models are loaded, and
    /// whose jsonl/mqtt/webhook sinks receive every camera's events. None: <c>/v1/cameras</c> starts with zero cameras.
    /// </summary>
    public string? Cameras { get; init; }

    /// <summary>When set, every route except health and the page's static files needs it in <c>X-Api-Key</c> (or <c>Authorization: Bearer</c>).</summary>
    public string? ApiKey { get; init; }

    /// <summary>Execution provider for ONNX Runtime (cpu, cuda, ...).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>
    /// Whether ONNX Runtime's idle worker threads spin between operators (<see cref="Inference.InferenceOptions.AllowSpinning"/>).
    /// Off by default here, unlike the library: in a server the cores a spinning worker holds are the ones Kestrel needs
    /// to read the next request and send the last answer (docs/server.md, "Benchmarks", has the measurement).
    /// </summary>
    public bool AllowSpinning { get; init; }

    /// <summary>Largest request body in bytes; larger ones get 413 before they are read.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxBodyBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Largest image in pixels (width × height), checked from the header before decoding; larger ones get 413.</summary>
    [Range(1, 1L << 30)]
    public long MaxImagePixels { get; init; } = 40_000_000;

    /// <summary>Most images in one request.</summary>
    [Range(1, 1024)]
    public int MaxImagesPerRequest { get; init; } = 16;

    /// <summary>Most classes (labels) in one request or stored class set.</summary>
    [Range(1, 4096)]
    public int MaxClasses { get; init; } = 256;

    /// <summary>Longest prompt or label in characters.</summary>
    [Range(1, 10_000)]
    public int MaxPromptLength { get; init; } = 300;

    /// <summary>Most stored class sets.</summary>
    [Range(1, 100_000)]
    public int MaxClassSets { get; init; } = 1000;

    /// <summary>API requests served at once; the rest wait in a queue of <see cref="QueueLimit"/>.</summary>
    [Range(1, 10_000)]
    public int MaxConcurrentRequests { get; init; } = 32;

    /// <summary>API requests that may wait for a slot; beyond it they get 503 with Retry-After.</summary>
    [Range(0, 100_000)]
    public int QueueLimit { get; init; } = 256;

    /// <summary>Most images in one batched detector run.</summary>
    [Range(1, 256)]
    public int MaxBatch { get; init; } = 8;

    /// <summary>
    /// How long, in milliseconds, a batch may wait for more requests while another batch is running. An idle server
    /// never waits: the first request goes straight in. 0 turns the wait off.
    /// </summary>
    [Range(0, 1000)]
    public double BatchWindowMs { get; init; } = 2;

    /// <summary>
    /// Detector runs at once (each a batch). 2 by default: one run alone leaves the cores idle during its
    /// single-threaded parts (letterbox, decoding, NMS, the graph's serial operators), which a second run fills; on 2 CPU
    /// cores at concurrency 8 one run gave 0.71-0.90x of in-process Detect's throughput and two gave 0.86-0.94x
    /// (docs/server.md). 1 gives the largest batches, for an accelerator that gains from them.
    /// </summary>
    [Range(1, 64)]
    public int MaxParallelBatches { get; init; } = 2;

    /// <summary>Turns dynamic batching off: every image is its own run (for comparison).</summary>
    public bool DisableBatching { get; init; }

    /// <summary>Seconds the requests still running get to finish at shutdown.</summary>
    [Range(0, 3600)]
    public double ShutdownTimeoutSeconds { get; init; } = 30;

    /// <summary>Seconds a client may take to send its request headers (slow clients are cut off).</summary>
    [Range(1, 600)]
    public double RequestHeadersTimeoutSeconds { get; init; } = 10;

    /// <summary>Minimum rate, in bytes per second, at which a request body must arrive after a 5 s grace period.</summary>
    [Range(0, 1_000_000_000)]
    public double MinRequestBodyBytesPerSecond { get; init; } = 10_000;
}
