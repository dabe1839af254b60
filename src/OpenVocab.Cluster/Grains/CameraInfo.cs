namespace OpenVocab.Cluster.Grains;

/// <summary>A camera of the cluster as <c>status</c> shows it: where it runs and how it does. An immutable snapshot.</summary>
[GenerateSerializer, Immutable, Alias("openvocab.CameraInfo")]
public sealed class CameraInfo
{
    /// <summary>The camera's name.</summary>
    [Id(0)] public required string Name { get; init; }

    /// <summary>The silo that runs it (its name, as in the events' <c>silo</c> field).</summary>
    [Id(1)] public required string Silo { get; init; }

    /// <summary>Its source.</summary>
    [Id(2)] public required string Source { get; init; }

    /// <summary>starting, running, reconnecting, finished or stopped.</summary>
    [Id(3)] public required string State { get; init; }

    /// <summary>Frames processed per second over the last few seconds.</summary>
    [Id(4)] public double Fps { get; init; }

    /// <summary>Frames processed since the camera started on this silo.</summary>
    [Id(5)] public long FramesProcessed { get; init; }

    /// <summary>Events emitted since the camera started on this silo.</summary>
    [Id(6)] public long Events { get; init; }

    /// <summary>When the camera's last event left this silo, or null.</summary>
    [Id(7)] public DateTimeOffset? LastEventAt { get; init; }

    /// <summary>The kind of that event (appeared, enter, cross_in...), or null.</summary>
    [Id(8)] public string? LastEventKind { get; init; }

    /// <summary>The labels it looks for.</summary>
    [Id(9)] public string[] Classes { get; init; } = [];

    /// <summary>Its last failure, or null.</summary>
    [Id(10)] public string? LastError { get; init; }

    /// <summary>Frame width (0 before the first frame).</summary>
    [Id(11)] public int Width { get; init; }

    /// <summary>Frame height.</summary>
    [Id(12)] public int Height { get; init; }

    /// <summary>Frames its source delivered since it started on this silo.</summary>
    [Id(13)] public long FramesRead { get; init; }

    /// <summary>Frames dropped in live mode since it started on this silo.</summary>
    [Id(14)] public long FramesDropped { get; init; }

    /// <summary>Source reconnects since it started on this silo.</summary>
    [Id(15)] public long Reconnects { get; init; }
}
