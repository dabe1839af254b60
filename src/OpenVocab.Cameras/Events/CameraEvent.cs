using OpenVocab.Detection;

namespace OpenVocab.Cameras.Events;

/// <summary>
/// One event from one camera: what happened to which tracked object, when and where. Immutable; its JSON form
/// (schema <c>openvocab.event/1</c>) is written by <see cref="EventJson"/> only.
/// </summary>
/// <param name="Id">Unique, time-ordered id (a version-7 GUID); a receiver that may see a message twice (MQTT QoS 1, webhook retries) de-duplicates by it.</param>
/// <param name="Camera">The camera's name.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Timestamp">Wall-clock time (UTC) the frame was captured.</param>
/// <param name="FrameIndex">The frame's index in its source.</param>
/// <param name="FrameTime">The frame's time in its source (position in a file; time since opening for live sources).</param>
/// <param name="Detection">The object: label, score, box in frame pixels and track id (its last sighting for losses).</param>
public sealed record CameraEvent(string Id, string Camera, EventKind Kind, DateTimeOffset Timestamp, long FrameIndex, TimeSpan FrameTime, DetectedObject Detection)
{
    /// <summary>The object's class label.</summary>
    public string Label => Detection.Label;

    /// <summary>The object's track id.</summary>
    public int? TrackId => Detection.TrackId;

    /// <summary>The zone, for enter, exit and dwell.</summary>
    public string? Zone { get; init; }

    /// <summary>The line, for crossings.</summary>
    public string? Line { get; init; }

    /// <summary>Time spent in the zone, for exit and dwell.</summary>
    public TimeSpan? Dwell { get; init; }

    /// <summary>The cluster silo that ran the camera (<see cref="Hosting.CameraHostOptions.Silo"/>), or null on a single machine.</summary>
    public string? Silo { get; init; }

    /// <summary>A JPEG of the object (crop) or the frame, when the camera asks for snapshots; null otherwise. Not copied: do not modify.</summary>
    public ReadOnlyMemory<byte>? Snapshot { get; init; }

    /// <summary>What <see cref="Snapshot"/> shows: <c>crop</c> or <c>frame</c>.</summary>
    public string? SnapshotType { get; init; }

    /// <summary>A new time-ordered id.</summary>
    public static string NewId() => Guid.CreateVersion7().ToString("N");
}
