namespace OpenVocab.Cameras.Configuration;

/// <summary>A cameras file or camera definition is not valid. <see cref="Errors"/> lists every problem found.</summary>
public sealed class CamerasConfigException : OpenVocabException
{
    /// <summary>Creates the exception from its problems (at least one).</summary>
    public CamerasConfigException(string source, IReadOnlyList<string> errors)
        : base($"{source} is not valid:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors)}")
    {
        Errors = errors;
    }

    /// <summary>A single problem.</summary>
    public CamerasConfigException(string message)
        : base(message)
    {
        Errors = [message];
    }

    /// <summary>Creates the exception with no detail.</summary>
    public CamerasConfigException()
        : this("the cameras configuration is not valid")
    {
    }

    /// <summary>Wraps another error.</summary>
    public CamerasConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    /// <summary>Each problem, naming the camera and the field, and what was expected.</summary>
    public IReadOnlyList<string> Errors { get; }
}
