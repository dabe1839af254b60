namespace OpenVocab.Cameras.Configuration;

/// <summary>One class a camera looks for. Immutable.</summary>
/// <param name="Name">The label reported in detections and events; also the prompt when <see cref="Prompts"/> is null.</param>
public sealed record ClassConfig(string Name)
{
    /// <summary>Text prompts for this label (several phrasings); null uses <see cref="Name"/>.</summary>
    public IReadOnlyList<string>? Prompts { get; init; }

    /// <summary>Least score (exclusive) for a detection of this class; null uses the camera's <see cref="CameraConfig.Confidence"/>.</summary>
    public double? Threshold { get; init; }
}
