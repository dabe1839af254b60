namespace OpenVocab.Cameras.Events;

/// <summary>Wire names of <see cref="EventKind"/>: the one place they are spelled.</summary>
public static class EventKinds
{
    private static readonly string[] Names = ["appeared", "lost", "enter", "exit", "dwell", "cross_in", "cross_out"];

    /// <summary>Every kind, in declaration order.</summary>
    public static IReadOnlyList<EventKind> All { get; } = Enum.GetValues<EventKind>();

    /// <summary>The snake_case name used in configuration files and event JSON.</summary>
    public static string WireName(this EventKind kind) => Names[(int)kind];

    /// <summary>Parses a wire name; false when it names no kind.</summary>
    public static bool TryParse(string name, out EventKind kind)
    {
        var i = Array.IndexOf(Names, name);
        kind = (EventKind)Math.Max(i, 0);
        return i >= 0;
    }

    /// <summary>The wire names, for messages.</summary>
    public static string List => string.Join(", ", Names);
}
