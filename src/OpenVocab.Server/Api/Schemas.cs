using System.ComponentModel;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

#pragma warning disable CA1812 // Form types are never built: they describe multipart bodies to the OpenAPI document.
#pragma warning disable CA1819 // Arrays are the wire shape.

namespace OpenVocab.Server.Api;

// The request and response shapes of the REST API, as the OpenAPI document describes them. JSON answers are written
// from these records, except /v1/detect, which DetectionJson writes (the server's tests check that document
// against the DetectResponse schema, so the two cannot drift apart). Field names of forms and queries are the ones
// the handlers read.

[Description("Images and detection parameters. Parameters may also come as query parameters (needed for a raw image/* body); class_image files only in a form.")]
internal sealed record DetectForm(
    [property: JsonPropertyName("images"), Description("One or more images (JPEG, PNG, BMP, TIFF, WebP, GIF).")] IFormFileCollection Images,
    [property: JsonPropertyName("classes"), Description("Classes as text prompts: repeated fields, or one comma-separated string. Required unless class_image or classSet is given.")] string[]? Classes = null,
    [property: JsonPropertyName("class_image"), Description("Example images of classes (crops of the object work best), as the CLI's --class-image: each file's name is \"LABEL=FILE\" (e.g. \"red star=crop.png\"), or class_image_label names the classes. Several per label are averaged; a label also in classes gets text and images fused, any other label becomes a class given by its images alone. Each at most 16 MiB and 4096x4096 pixels. Needs a pack with a CLIP image encoder.")] IFormFileCollection? ClassImage = null,
    [property: JsonPropertyName("class_image_label"), Description("The class of each class_image file, in the same order, one per file (repeated fields or one comma-separated string); when sent, the file names are only names.")] string[]? ClassImageLabel = null,
    [property: JsonPropertyName("not"), Description("Negative prompts, as the CLI's --not: scored with the classes in the same pass and never returned; a box whose best prompt is a negative is dropped. Repeated fields or one comma-separated string; none may also be a class.")] string[]? Not = null,
    [property: JsonPropertyName("attributes"), Description("Attributes classified on kept boxes, as the CLI's --attributes: one field per class, \"CLASS: LABEL, LABEL, ...\" (e.g. \"car: red car, blue car\"); CLASS must be one of the classes. Each detection of CLASS then carries 'attribute'. Needs a pack with a CLIP image encoder.")] string[]? Attributes = null,
    [property: JsonPropertyName("classSet"), Description("Name of a stored class set (PUT /v1/classsets/{name}) instead of classes, class_image, not and attributes.")] string? ClassSet = null,
    [property: JsonPropertyName("conf"), Description("Minimum score, 0..1 (default 0.25).")] double? Conf = null,
    [property: JsonPropertyName("iou"), Description("NMS IoU threshold, 0..1 (default 0.7).")] double? Iou = null,
    [property: JsonPropertyName("max_det"), Description("Most detections per image (default 300).")] int? MaxDet = null,
    [property: JsonPropertyName("agnostic"), Description("Class-agnostic NMS (default false).")] bool? Agnostic = null,
    [property: JsonPropertyName("classConf"), Description("Per-class minimum scores as a JSON object {\"label\": 0.5}, each replacing conf for its label (the library's DetectionOptions.ClassConfidence, applied before NMS). Every label must be one of the classes.")] string? ClassConf = null);

internal sealed record DetectResponse([property: JsonPropertyName("results")] DetectImageResult[] Results);

internal sealed record DetectImageResult(
    [property: JsonPropertyName("image")] string Image,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height,
    [property: JsonPropertyName("detections")] DetectionItem[] Detections,
    [property: JsonPropertyName("speedMs")] StageSpeed SpeedMs);

internal sealed record DetectionItem(
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("classIndex")] int ClassIndex,
    [property: JsonPropertyName("score"), Description("0..1, 4 decimals.")] double Score,
    [property: JsonPropertyName("box"), Description("x1, y1, x2, y2 in image pixels, 2 decimals.")] double[] Box,
    [property: JsonPropertyName("trackId"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? TrackId = null,
    [property: JsonPropertyName("attribute"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AttributeItem? Attribute = null);

internal sealed record AttributeItem(
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("score")] double Score,
    [property: JsonPropertyName("topK")] AttributeScore[] TopK);

internal sealed record AttributeScore([property: JsonPropertyName("label")] string Label, [property: JsonPropertyName("score")] double Score);

internal sealed record StageSpeed(
    [property: JsonPropertyName("preprocess")] double Preprocess,
    [property: JsonPropertyName("inference")] double Inference,
    [property: JsonPropertyName("postprocess")] double Postprocess,
    [property: JsonPropertyName("attributes"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Attributes = null);

internal sealed record ClassSetBody(
    [property: JsonPropertyName("classes"), Description("The labels, each its own prompt.")] string[] Classes,
    [property: JsonPropertyName("not"), Description("Negative prompts, as in POST /v1/detect.")] string[]? Not = null,
    [property: JsonPropertyName("attributes"), Description("\"CLASS: LABEL, LABEL, ...\" per class, as in POST /v1/detect.")] string[]? Attributes = null);

[Description("A class set with example images: the fields of POST /v1/detect that say what to look for.")]
internal sealed record ClassSetForm(
    [property: JsonPropertyName("classes"), Description("Classes as text prompts: repeated fields, or one comma-separated string. Required unless class_image is given.")] string[]? Classes = null,
    [property: JsonPropertyName("class_image"), Description("Example images of classes; each file's name is \"LABEL=FILE\", or class_image_label names the classes (as in POST /v1/detect).")] IFormFileCollection? ClassImage = null,
    [property: JsonPropertyName("class_image_label"), Description("The class of each class_image file, in the same order.")] string[]? ClassImageLabel = null,
    [property: JsonPropertyName("not"), Description("Negative prompts, as in POST /v1/detect.")] string[]? Not = null,
    [property: JsonPropertyName("attributes"), Description("\"CLASS: LABEL, LABEL, ...\" per class, as in POST /v1/detect.")] string[]? Attributes = null);

internal sealed record ClassSetInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("classes")] string[] Classes)
{
    [JsonPropertyName("not"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("Negative prompts; absent when none.")]
    public string[]? Not { get; init; }

    [JsonPropertyName("attributes"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("\"CLASS: LABEL, LABEL, ...\" per class with attributes; absent when none.")]
    public string[]? Attributes { get; init; }

    [JsonPropertyName("exemplars"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("Example images per class label; absent when none.")]
    public IReadOnlyDictionary<string, int>? Exemplars { get; init; }
}

internal sealed record ClassSetList([property: JsonPropertyName("classSets")] ClassSetInfo[] ClassSets);

[Description("Images and the labels to classify them against.")]
internal sealed record ClassifyForm(
    [property: JsonPropertyName("images")] IFormFileCollection Images,
    [property: JsonPropertyName("labels"), Description("At least two labels: repeated fields or one comma-separated string.")] string[] Labels,
    [property: JsonPropertyName("template"), Description("Prompt template with {} for the label (default \"a photo of a {}.\").")] string? Template = null,
    [property: JsonPropertyName("ensemble"), Description("Average CLIP's 80 ImageNet templates instead.")] bool? Ensemble = null,
    [property: JsonPropertyName("top_k"), Description("Predictions per image (default all).")] int? TopK = null);

internal sealed record ClassifyResponse([property: JsonPropertyName("results")] ClassifyImageResult[] Results);

internal sealed record ClassifyImageResult(
    [property: JsonPropertyName("image")] string Image,
    [property: JsonPropertyName("predictions")] Prediction[] Predictions);

internal sealed record Prediction(
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("score"), Description("Softmax probability.")] double Score,
    [property: JsonPropertyName("similarity"), Description("Cosine similarity.")] double Similarity);

internal sealed record EmbedBody([property: JsonPropertyName("texts")] string[] Texts);

[Description("Texts and/or images to embed.")]
internal sealed record EmbedForm(
    [property: JsonPropertyName("images")] IFormFileCollection? Images = null,
    [property: JsonPropertyName("texts")] string[]? Texts = null);

internal sealed record EmbedResponse(
    [property: JsonPropertyName("dimension")] int Dimension,
    [property: JsonPropertyName("texts")] TextEmbedding[] Texts,
    [property: JsonPropertyName("images")] ImageEmbedding[] Images);

internal sealed record TextEmbedding([property: JsonPropertyName("text")] string Text, [property: JsonPropertyName("embedding")] float[] Embedding);

internal sealed record ImageEmbedding([property: JsonPropertyName("image")] string Image, [property: JsonPropertyName("embedding")] float[] Embedding);

internal sealed record SearchBody(
    [property: JsonPropertyName("text"), Description("The query text, used as given.")] string Text,
    [property: JsonPropertyName("top_k"), Description("Results (default 10).")] int? TopK = null);

[Description("Search by example image (or by text in a form).")]
internal sealed record SearchForm(
    [property: JsonPropertyName("image")] IFormFile? Image = null,
    [property: JsonPropertyName("text")] string? Text = null,
    [property: JsonPropertyName("top_k")] int? TopK = null);

internal sealed record SearchResponse([property: JsonPropertyName("results")] SearchHit[] Results);

internal sealed record SearchHit(
    [property: JsonPropertyName("path"), Description("Path relative to the indexed folder.")] string Path,
    [property: JsonPropertyName("score"), Description("Cosine similarity.")] double Score,
    [property: JsonPropertyName("index")] int Index);

internal sealed record InfoResponse(
    [property: JsonPropertyName("pack")] string Pack,
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("detector")] DetectorInfo? Detector,
    [property: JsonPropertyName("textEncoder")] TextEncoderInfo? TextEncoder,
    [property: JsonPropertyName("imageEncoder")] ImageEncoderInfo? ImageEncoder,
    [property: JsonPropertyName("index")] IndexInfo? Index,
    [property: JsonPropertyName("classSets")] int ClassSets,
    [property: JsonPropertyName("batching")] BatchingInfo Batching,
    [property: JsonPropertyName("limits")] LimitsInfo Limits);

internal sealed record DetectorInfo(
    [property: JsonPropertyName("inputWidth")] int InputWidth,
    [property: JsonPropertyName("inputHeight")] int InputHeight,
    [property: JsonPropertyName("openVocabulary")] bool OpenVocabulary,
    [property: JsonPropertyName("maxClasses")] int? MaxClasses,
    [property: JsonPropertyName("modelClassNames")] string[] ModelClassNames);

internal sealed record TextEncoderInfo(
    [property: JsonPropertyName("dimension")] int Dimension,
    [property: JsonPropertyName("cachedPrompts")] int CachedPrompts,
    [property: JsonPropertyName("inferenceRuns")] long InferenceRuns);

internal sealed record ImageEncoderInfo(
    [property: JsonPropertyName("dimension")] int Dimension,
    [property: JsonPropertyName("imageSize")] int ImageSize,
    [property: JsonPropertyName("imagesEncoded")] long ImagesEncoded);

internal sealed record IndexInfo([property: JsonPropertyName("images")] int Images, [property: JsonPropertyName("dimension")] int Dimension);

internal sealed record BatchingInfo(
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("maxBatch")] int MaxBatch,
    [property: JsonPropertyName("windowMs")] double WindowMs,
    [property: JsonPropertyName("waiting")] int Waiting);

internal sealed record LimitsInfo(
    [property: JsonPropertyName("maxBodyBytes")] long MaxBodyBytes,
    [property: JsonPropertyName("maxImagePixels")] long MaxImagePixels,
    [property: JsonPropertyName("maxImagesPerRequest")] int MaxImagesPerRequest,
    [property: JsonPropertyName("maxClasses")] int MaxClasses,
    [property: JsonPropertyName("maxPromptLength")] int MaxPromptLength);

[Description("A camera, in the shape of one entry of a cameras file's 'cameras' list (docs/cameras.md): these fields and also tracking, coordinates, anchor, zones, lines, events, snapshot and counts_interval. The name comes from the path; a 'name' here must equal it.")]
internal sealed record CameraBody(
    [property: JsonPropertyName("source"), Description("File, folder, camera index or rtsp/http/tcp/udp URL. A relative path is taken from the server's working folder.")] string Source,
    [property: JsonPropertyName("classes"), Description("Labels, or {name, threshold, prompts} objects, or one comma-separated string.")] string[]? Classes = null,
    [property: JsonPropertyName("confidence"), Description("Minimum score for classes without their own threshold, 0..1.")] double? Confidence = null,
    [property: JsonPropertyName("stride"), Description("Detect every n-th frame.")] int? Stride = null,
    [property: JsonPropertyName("live"), Description("Drop to the newest frame when behind (default: auto, by source kind).")] bool? Live = null,
    [property: JsonPropertyName("loop"), Description("Play a file source again from the start when it ends.")] bool? Loop = null,
    [property: JsonPropertyName("realtime"), Description("Pace a file source at its frame rate.")] bool? Realtime = null);

internal sealed record CameraClassesBody(
    [property: JsonPropertyName("classes"), Description("Labels, or {name, threshold, prompts} objects, or one comma-separated string; as a camera's classes in the cameras file.")] string[] Classes);

internal sealed record CameraInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("state"), Description("starting, running, reconnecting, finished or stopped.")] string State,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height,
    [property: JsonPropertyName("classes")] string[] Classes,
    [property: JsonPropertyName("fps"), Description("Processed frames per second over the last few seconds.")] double Fps,
    [property: JsonPropertyName("framesRead")] long FramesRead,
    [property: JsonPropertyName("framesProcessed")] long FramesProcessed,
    [property: JsonPropertyName("drops"), Description("Frames dropped in live mode because a newer one arrived first.")] long Drops,
    [property: JsonPropertyName("reconnects")] long Reconnects,
    [property: JsonPropertyName("events")] long Events,
    [property: JsonPropertyName("lastError")] string? LastError)
{
    /// <summary>The cluster silo that runs the camera; left out when the server runs its cameras itself.</summary>
    [JsonPropertyName("silo"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("The cluster silo that runs the camera (only when the server fronts a cluster).")]
    public string? Silo { get; init; }
}

internal sealed record CameraList([property: JsonPropertyName("cameras")] CameraInfo[] Cameras);
