using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenCvSharp;
using OpenVocab.Classification;
using OpenVocab.Detection;
using OpenVocab.Inference;
using OpenVocab.Search;
using OpenVocab.Text;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace OpenVocab.Server.Hosting;

/// <summary>
/// Owns the models the server answers with: the detector, the zero-shot classifier and the optional image index.
/// They are loaded and warmed up in the background when the host starts, so that <c>/healthz</c> answers at once and
/// <c>/readyz</c> (and every model route) only once the first real request would not pay for loading.
/// Thread-safe: the models are read-only once <see cref="Ready"/> is set; disposed with the host.
/// </summary>
internal sealed partial class ModelHost(IOptions<ServerOptions> options, ILogger<ModelHost> logger) : IHostedService, IDisposable
{
    private readonly ServerOptions _options = options.Value;
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Models? _models;
    private Task? _loading;

    /// <summary>The loaded models; throws when they are not (yet) loaded.</summary>
    public Models Current => Volatile.Read(ref _models) ?? throw new ModelsNotReadyException(LoadError);

    /// <summary>True once the models are loaded and warmed up.</summary>
    public bool Ready => Volatile.Read(ref _models) is not null;

    /// <summary>Why loading failed, when it did.</summary>
    public Exception? LoadError { get; private set; }

    /// <summary>Completes when loading finished (or failed).</summary>
    public Task Loaded => _loaded.Task;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loading = Task.Run(Load, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _loading ?? Task.CompletedTask;

    private void Load()
    {
        try
        {
            var watch = Stopwatch.StartNew();
            var provider = Enum.Parse<ExecutionProvider>(_options.Device, ignoreCase: true);
            var inference = new InferenceOptions { Provider = provider, AllowSpinning = _options.AllowSpinning };
            var pack = ModelPack.Load(_options.Model!);
            Detector? detector = null;
            TextEncoder? text = null;
            ImageEncoder? image = null;
            try
            {
                if (pack.Manifest.Detector is not null || pack.ManifestPath is null)
                {
                    detector = Detector.Load(pack, inference, logger);
                }

                text = detector?.TextEncoder ?? (pack.Manifest.TextEncoder is not null ? TextEncoder.Load(pack, inference, logger) : null);
                if (pack.Manifest.ImageEncoder is not null)
                {
                    image = ImageEncoder.Load(pack, inference, logger);
                }

                var classifier = text is not null && image is not null ? new ZeroShotClassifier(text, image, pack.Manifest.ImageEncoder!.LogitScale) : null;
                var index = _options.Index is { Length: > 0 } file ? ImageIndex.Load(file, image?.Identity) : null;
                if (index is not null && classifier is null)
                {
                    throw new ModelLoadException($"An index was given ({_options.Index}) but pack '{pack.Directory}' has no text and image encoder to search it with.");
                }

                var models = new Models(pack, detector, text, image, classifier, index, text is not null && !ReferenceEquals(text, detector?.TextEncoder));
                WarmUp(models);
                Volatile.Write(ref _models, models);
                LogReady(logger, pack.Name, watch.Elapsed.TotalMilliseconds, detector is not null, classifier is not null, index?.Count ?? 0);
            }
            catch
            {
                detector?.Dispose();
                image?.Dispose();
                if (!ReferenceEquals(text, detector?.TextEncoder))
                {
                    text?.Dispose();
                }

                throw;
            }
        }
#pragma warning disable CA1031 // A failed load is kept and reported by /readyz and every model route; the host stays up to say why.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LoadError = e;
            LogLoadFailed(logger, e, e.Message);
        }
        finally
        {
            _loaded.TrySetResult();
        }
    }

    /// <summary>One run of each graph, so the first request does not pay for ONNX Runtime's lazy initialisation.</summary>
    private static void WarmUp(Models models)
    {
        using var blank = new Mat(480, 640, MatType.CV_8UC3, Scalar.All(114));
        if (models.Detector is { } detector)
        {
            var classes = detector.IsOpenVocabulary ? detector.CreateClassSet("object") : detector.CreateClassSet(detector.ModelClassNames[0]);
            detector.Detect(blank, DetectionOptions.Default, classes);
        }

        models.ImageEncoder?.Encode(blank);
        models.TextEncoder?.Encode("a photo of an object.");
    }

    public void Dispose()
    {
        var models = Interlocked.Exchange(ref _models, null);
        if (models is null)
        {
            return;
        }

        models.Detector?.Dispose();
        models.ImageEncoder?.Dispose();
        if (models.OwnsTextEncoder)
        {
            models.TextEncoder?.Dispose();
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Models of pack {Pack} loaded and warmed up in {Ms:0} ms (detector: {Detector}, classifier: {Classifier}, index images: {IndexCount})")]
    private static partial void LogReady(ILogger logger, string pack, double ms, bool detector, bool classifier, int indexCount);

    [LoggerMessage(EventId = 101, Level = LogLevel.Critical, Message = "Loading the models failed: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string reason);
}

/// <summary>The loaded models; what a pack lacks is null.</summary>
internal sealed record Models(ModelPack Pack, Detector? Detector, TextEncoder? TextEncoder, ImageEncoder? ImageEncoder,
    ZeroShotClassifier? Classifier, ImageIndex? Index, bool OwnsTextEncoder);

/// <summary>A model route was called before the models were loaded, or after loading failed.</summary>
internal sealed class ModelsNotReadyException(Exception? loadError)
    : Exception(loadError is null ? "The models are still loading; retry shortly (see /readyz)." : $"The models failed to load: {loadError.Message}")
{
    public bool Failed => loadError is not null;
}
