using Grpc.Core;
using Microsoft.Extensions.Options;
using OpenCvSharp;
using OpenVocab.Classification;
using OpenVocab.Detection;
using OpenVocab.Server.Api;
using OpenVocab.Server.Hosting;

namespace OpenVocab.Server.Grpc;

/// <summary>
/// The gRPC face of the server (<c>Protos/openvocab.proto</c>): the same operations and checks as REST, run by the
/// same services (batcher, class-set store, models). Client errors become gRPC status codes with the field first.
/// </summary>
internal sealed class OpenVocabGrpcService(ModelHost models, ClassSetStore store, DetectService detect, IOptions<ServerOptions> options, ServerMetrics metrics)
    : OpenVocabService.OpenVocabServiceBase
{
    private readonly ServerOptions _options = options.Value;

    public override Task<DetectResponse> Detect(DetectRequest request, ServerCallContext context) => Guard(async () =>
    {
        var (classes, detectionOptions, classConf) = Parameters(request.Params);
        if (request.Images.Count == 0)
        {
            throw new ApiProblemException(400, "images", "No image was sent; expected one or more images.");
        }

        if (request.Images.Count > _options.MaxImagesPerRequest)
        {
            throw new ApiProblemException(400, "images", $"{request.Images.Count} images sent; this server takes at most {_options.MaxImagesPerRequest} per request.");
        }

        var images = DecodeAll(request.Images, "images");
        try
        {
            var results = await detect.DetectAsync(images, classes, detectionOptions, classConf).ConfigureAwait(false);
            var response = new DetectResponse();
            for (var i = 0; i < results.Length; i++)
            {
                response.Results.Add(ToMessage(NameOf(request.Images[i], "images", i), results[i]));
            }

            return response;
        }
        finally
        {
            foreach (var image in images)
            {
                image.Dispose();
            }
        }
    });

    public override async Task DetectStream(IAsyncStreamReader<DetectFrame> requestStream, IServerStreamWriter<DetectFrameResult> responseStream, ServerCallContext context)
    {
        (ClassSet Classes, DetectionOptions Options, IReadOnlyDictionary<string, double>? ClassConf)? current = null;
        long frame = 0;
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                var message = requestStream.Current;
                if (message.Params is not null)
                {
                    current = Parameters(message.Params);
                }

                if (current is not { } p)
                {
                    throw new ApiProblemException(400, "params", "The first frame must carry params (classes or class_set).");
                }

                using var image = ApiRequest.Decode(message.Image?.Data?.ToByteArray() ?? [], $"frames[{frame}].image", NameOf(message.Image, "frame", (int)frame), _options);
                var result = (await detect.DetectAsync([image], p.Classes, p.Options, p.ClassConf).ConfigureAwait(false))[0];
                await responseStream.WriteAsync(new DetectFrameResult { Frame = frame, Result = ToMessage(NameOf(message.Image, "frame", (int)frame), result) }, context.CancellationToken)
                    .ConfigureAwait(false);
                frame++;
            }
        }
        catch (Exception e) when (ToRpc(e) is { } rpc)
        {
            throw rpc;
        }
    }

    public override Task<ClassSetInfo> PutClassSet(PutClassSetRequest request, ServerCallContext context) => Guard(() =>
    {
        ClassSetStore.CheckName(request.Name);
        var spec = Prompts(request.Classes, request.ClassImages, request.Negatives, request.Attributes);
        store.Put(request.Name, spec, out var info);
        return Task.FromResult(ToMessage(info));
    });

    public override Task<ClassSetInfo> GetClassSet(ClassSetName request, ServerCallContext context) => Guard(() =>
    {
        ClassSetStore.CheckName(request.Name);
        return store.TryGet(request.Name, out var info, out _)
            ? Task.FromResult(ToMessage(info))
            : throw new ApiProblemException(404, "name", $"No class set named '{request.Name}' is stored.");
    });

    public override Task<DeleteClassSetResponse> DeleteClassSet(ClassSetName request, ServerCallContext context) => Guard(() =>
    {
        ClassSetStore.CheckName(request.Name);
        return store.Delete(request.Name)
            ? Task.FromResult(new DeleteClassSetResponse())
            : throw new ApiProblemException(404, "name", $"No class set named '{request.Name}' is stored.");
    });

    public override Task<ClassifyResponse> Classify(ClassifyRequest request, ServerCallContext context) => Guard(async () =>
    {
        var classifier = Classifier();
        var labels = request.Labels.Select(l => l.Trim()).ToList();
        store.CheckList(labels, "labels");
        if (request.Images.Count is 0 || request.Images.Count > _options.MaxImagesPerRequest)
        {
            throw new ApiProblemException(400, "images", $"{request.Images.Count} images sent; expected 1 to {_options.MaxImagesPerRequest}.");
        }

        if (request.Ensemble && request.Template.Length > 0)
        {
            throw new ApiProblemException(400, "template", "Both 'template' and 'ensemble' were given; send one of them.");
        }

        if (request.HasTopK && (request.TopK < 1 || request.TopK > labels.Count))
        {
            throw new ApiProblemException(400, "top_k", $"'top_k' is {request.TopK}; expected a whole number from 1 to {labels.Count}.");
        }

        ZeroShotLabelSet set;
        try
        {
            var zeroShot = request.Ensemble ? ZeroShotOptions.ImageNetEnsemble : request.Template.Length == 0 ? ZeroShotOptions.Default : new ZeroShotOptions { Templates = [request.Template] };
            set = classifier.CreateLabels(labels, zeroShot);
        }
        catch (ArgumentException e)
        {
            throw new ApiProblemException(400, "labels", e.Message);
        }

        var images = DecodeAll(request.Images, "images");
        try
        {
            var results = await Task.Run(() => classifier.Classify(images, set, request.HasTopK ? request.TopK : null)).ConfigureAwait(false);
            var response = new ClassifyResponse();
            for (var i = 0; i < results.Count; i++)
            {
                var item = new ClassifyResult { Image = NameOf(request.Images[i], "images", i) };
                item.Predictions.AddRange(results[i].Predictions.Select(p => new Prediction { Label = p.Label, Score = p.Score, Similarity = p.Similarity }));
                response.Results.Add(item);
            }

            return response;
        }
        finally
        {
            foreach (var image in images)
            {
                image.Dispose();
            }
        }
    });

    public override Task<EmbedResponse> Embed(EmbedRequest request, ServerCallContext context) => Guard(async () =>
    {
        var classifier = Classifier();
        var texts = request.Texts.ToList();
        if (texts.Count == 0 && request.Images.Count == 0)
        {
            throw new ApiProblemException(400, "texts", "Nothing to embed; expected at least one text or image.");
        }

        if (texts.Count > 0)
        {
            store.CheckList(texts, "texts");
        }

        if (request.Images.Count > _options.MaxImagesPerRequest)
        {
            throw new ApiProblemException(400, "images", $"{request.Images.Count} images sent; this server takes at most {_options.MaxImagesPerRequest} per request.");
        }

        var images = DecodeAll(request.Images, "images");
        try
        {
            var (textVectors, imageVectors) = await Task.Run(() => (
                texts.Count > 0 ? classifier.EmbedText(texts) : [],
                images.Length > 0 ? classifier.EmbedImages(images) : [])).ConfigureAwait(false);
            var response = new EmbedResponse { Dimension = classifier.ImageEncoder.Dimension };
            response.Texts.AddRange(texts.Select((t, i) => new Embedding { Input = t, Values = { textVectors[i] } }));
            response.Images.AddRange(request.Images.Select((img, i) => new Embedding { Input = NameOf(img, "images", i), Values = { imageVectors[i] } }));
            return response;
        }
        finally
        {
            foreach (var image in images)
            {
                image.Dispose();
            }
        }
    });

    public override Task<SearchResponse> Search(SearchRequest request, ServerCallContext context) => Guard(async () =>
    {
        var index = models.Current.Index ?? throw new ApiProblemException(404, "index", "This server was started without an image index, so it has nothing to search.");
        var classifier = Classifier();
        var topK = request.HasTopK ? request.TopK : 10;
        if (topK is < 1 or > 10_000)
        {
            throw new ApiProblemException(400, "top_k", $"'top_k' is {topK}; expected a whole number from 1 to 10000.");
        }

        var hasImage = request.Image is { Data.Length: > 0 };
        if (hasImage == (request.Text.Length > 0))
        {
            throw new ApiProblemException(400, "text", "Search by exactly one of 'text' or 'image'.");
        }

        if (request.Text.Length > _options.MaxPromptLength)
        {
            throw new ApiProblemException(400, "text", $"'text' is {request.Text.Length} characters long; this server takes at most {_options.MaxPromptLength}.");
        }

        using var image = hasImage ? ApiRequest.Decode(request.Image!.Data.ToByteArray(), "image", NameOf(request.Image, "image", 0), _options) : null;
        var hits = await Task.Run(() => image is not null ? index.SearchImage(classifier.ImageEncoder, image, topK) : index.SearchText(classifier.TextEncoder, request.Text, topK))
            .ConfigureAwait(false);
        var response = new SearchResponse();
        response.Results.AddRange(hits.Select(h => new SearchHit { Path = index.Entries[h.Index].RelativePath.Replace('\\', '/'), Score = h.Score, Index = h.Index }));
        return response;
    });

    public override Task<InfoResponse> Info(InfoRequest request, ServerCallContext context) => Guard(() =>
    {
        var m = models.Current;
        return Task.FromResult(new InfoResponse
        {
            Pack = m.Pack.Name,
            Provider = _options.Device,
            InputWidth = m.Detector?.InputWidth ?? 0,
            InputHeight = m.Detector?.InputHeight ?? 0,
            OpenVocabulary = m.Detector?.IsOpenVocabulary ?? false,
            ClassSets = store.Count,
            IndexImages = m.Index?.Count ?? 0,
        });
    });

    private ZeroShotClassifier Classifier() =>
        models.Current.Classifier ?? throw new ApiProblemException(422, "images", "This server's model pack has no text and image encoder.");

    private (ClassSet Classes, DetectionOptions Options, IReadOnlyDictionary<string, double>? ClassConf) Parameters(DetectParams? p)
    {
        var detector = models.Current.Detector ?? throw new ApiProblemException(422, "images", "This server's model pack has no detector.");
        p ??= new DetectParams();
        var classes = store.Resolve(p.ClassSet, Prompts(p.Classes, p.ClassImages, p.Negatives, p.Attributes), detector);
        var detectionOptions = DetectService.Options(p.HasConf ? p.Conf : null, p.HasIou ? p.Iou : null, p.HasMaxDet ? p.MaxDet : null, p.Agnostic);
        IReadOnlyDictionary<string, double>? classConf = null;
        if (p.ClassConf.Count > 0)
        {
            var map = new Dictionary<string, double>(p.ClassConf);
            DetectService.CheckClassConf(map, classes, "class_conf");
            classConf = map;
        }

        return (classes, detectionOptions, classConf);
    }

    /// <summary>The prompt set of a request's classes, example images, negatives and attributes (checked as REST's).</summary>
    private PromptSpec Prompts(IReadOnlyList<string> classes, IReadOnlyList<ClassImage> images, IReadOnlyList<string> negatives, IReadOnlyList<string> attributes)
    {
        var fields = PromptRequest.Grpc;
        var uploads = images.Select((c, i) => new ExemplarUpload(c.Label, NameOf(c.Image, fields.Exemplars, i), c.Image?.Data?.ToByteArray() ?? [], $"{fields.Exemplars}[{i}]")).ToArray();
        return PromptRequest.Create(classes, uploads, negatives, attributes, _options, fields);
    }

    private static ClassSetInfo ToMessage(Api.ClassSetInfo info)
    {
        var message = new ClassSetInfo { Name = info.Name, Classes = { info.Classes }, Negatives = { info.Not ?? [] }, Attributes = { info.Attributes ?? [] } };
        foreach (var (label, count) in info.Exemplars ?? new Dictionary<string, int>())
        {
            message.Exemplars[label] = count;
        }

        return message;
    }

    private Mat[] DecodeAll(Google.Protobuf.Collections.RepeatedField<Image> images, string field)
    {
        var decoded = new List<Mat>(images.Count);
        try
        {
            for (var i = 0; i < images.Count; i++)
            {
                decoded.Add(ApiRequest.Decode(images[i].Data.ToByteArray(), $"{field}[{i}]", NameOf(images[i], field, i), _options));
            }

            return [.. decoded];
        }
        catch
        {
            foreach (var m in decoded)
            {
                m.Dispose();
            }

            throw;
        }
    }

    private static string NameOf(Image? image, string field, int i) => image is { Name.Length: > 0 } ? image.Name : $"{field}[{i}]";

    private static ImageResult ToMessage(string name, DetectionResult r)
    {
        var message = new ImageResult
        {
            Image = name,
            Width = r.Width,
            Height = r.Height,
            SpeedMs = new Speed { Preprocess = r.Timings.PreprocessMs, Inference = r.Timings.InferenceMs, Postprocess = r.Timings.PostprocessMs },
        };
        if (r.Timings.AttributesMs > 0)
        {
            message.SpeedMs.Attributes = r.Timings.AttributesMs;
        }

        foreach (var d in r.Detections)
        {
            var detection = new Detection { Label = d.Label, ClassIndex = d.ClassIndex, Score = d.Score, X1 = d.Box.X1, Y1 = d.Box.Y1, X2 = d.Box.X2, Y2 = d.Box.Y2 };
            if (d.Attribute is { } a)
            {
                detection.Attribute = new DetectionAttribute { Label = a.Label, Score = a.Score };
                detection.Attribute.TopK.AddRange(a.TopK.Select(k => new AttributeScore { Label = k.Label, Score = k.Score }));
            }

            message.Detections.Add(detection);
        }

        return message;
    }

    private async Task<T> Guard<T>(Func<Task<T>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e) when (ToRpc(e) is { } rpc)
        {
            throw rpc;
        }
    }

    /// <summary>The gRPC status for a client error; null lets other exceptions reach gRPC's own handling (logged, INTERNAL).</summary>
    private RpcException? ToRpc(Exception e)
    {
        switch (e)
        {
            case ApiProblemException p:
                var code = p.Status switch
                {
                    404 => StatusCode.NotFound,
                    413 => StatusCode.ResourceExhausted,
                    503 => StatusCode.Unavailable,
                    _ => StatusCode.InvalidArgument,
                };
                if (p.Status == 413)
                {
                    metrics.Rejected("too_large");
                }

                return new RpcException(new Status(code, $"{p.Field}: {p.Message}"));
            case ModelsNotReadyException m:
                metrics.Rejected("not_ready");
                return new RpcException(new Status(StatusCode.Unavailable, m.Message));
            default:
                return null;
        }
    }
}
