namespace OpenVocab.Cameras.Events;

/// <summary>What happened. The wire name (<see cref="EventKinds.WireName"/>) is the snake_case form.</summary>
public enum EventKind
{
    /// <summary>A track was confirmed: an object appeared (<c>appeared</c>).</summary>
    Appeared,

    /// <summary>A track was not seen for the tracker's maximum age and was dropped (<c>lost</c>).</summary>
    Lost,

    /// <summary>A tracked object's anchor point entered a zone (<c>enter</c>).</summary>
    Enter,

    /// <summary>A tracked object left a zone, or was lost inside it (<c>exit</c>); carries the dwell time.</summary>
    Exit,

    /// <summary>A tracked object has stayed in a zone for the zone's dwell time (<c>dwell</c>); once per visit.</summary>
    Dwell,

    /// <summary>A tracked object crossed a line from its left side to its right side, looking from its first point to its second (<c>cross_in</c>).</summary>
    CrossIn,

    /// <summary>A tracked object crossed a line from its right side to its left side (<c>cross_out</c>).</summary>
    CrossOut,
}
