using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpenVocab.Inference;

/// <summary>
/// The manifest <c>openvocab.json</c> of a model pack (format <c>openvocab-pack/1</c>). Paths are relative to the manifest
/// and must stay inside its folder unless <see cref="ModelPackOptions.AllowExternalPaths"/> is set.
/// </summary>
public sealed record ModelPackManifest
{
    /// <summary>The only format this version reads.</summary>
    public const string CurrentFormat = "openvocab-pack/1";

    /// <summary>Format tag; must be <see cref="CurrentFormat"/>.</summary>
    public string Format { get; init; } = CurrentFormat;

    /// <summary>Display name of the pack.</summary>
    public string? Name { get; init; }

    /// <summary>CLIP text encoder, if the pack has one.</summary>
    public TextEncoderManifest? TextEncoder { get; init; }

    /// <summary>CLIP image encoder, if the pack has one.</summary>
    public ImageEncoderManifest? ImageEncoder { get; init; }

    /// <summary>Detector, if the pack has one.</summary>
    public DetectorManifest? Detector { get; init; }

    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };
}
