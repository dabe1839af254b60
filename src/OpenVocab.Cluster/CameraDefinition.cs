using OpenVocab.Cameras.Configuration;
using YamlDotNet.RepresentationModel;

namespace OpenVocab.Cluster;

/// <summary>
/// Camera definitions as text, the form the cluster stores: one entry of a cameras file's <c>cameras</c> list.
/// Text rather than a serialised <see cref="CameraConfig"/> so that every silo reads a stored definition with the
/// cameras file's own reader and messages. Stateless and thread-safe.
/// </summary>
public static class CameraDefinition
{
    /// <summary>
    /// Reads and checks a cameras file and returns each camera's definition, with relative file sources made
    /// absolute (as the file reader resolves them) so that the definition means the same on any silo of this machine.
    /// The file's sinks are not part of a definition: silos have their own.
    /// </summary>
    /// <exception cref="CamerasConfigException">The file is missing or not valid; the message lists every problem.</exception>
    public static IReadOnlyList<(string Name, string Definition)> FromFile(string path)
    {
        var config = CamerasConfigReader.Load(path);
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        var list = (YamlSequenceNode)((YamlMappingNode)stream.Documents[0].RootNode).Children[new YamlScalarNode("cameras")];
        var result = new List<(string, string)>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var node = (YamlMappingNode)list.Children[i];
            node.Children[new YamlScalarNode("source")] = new YamlScalarNode(config.Cameras[i].Source);
            result.Add((config.Cameras[i].Name, Write(node)));
        }

        return result;
    }

    /// <summary>
    /// The definition with its classes replaced by <paramref name="classes"/>: the value of <c>classes</c> as in a
    /// cameras file (a comma-separated string, or a YAML/JSON list of labels or of {name, threshold, prompts}).
    /// </summary>
    /// <exception cref="CamerasConfigException">The classes are not valid; the message says why.</exception>
    public static string WithClasses(string definition, string classes, string camera)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(classes);
        var value = Load(classes, $"classes of camera '{camera}'");
        // The cameras file's reader checks the classes, so a change is refused with the messages a file would get.
        CamerasConfigReader.ParseClasses(Write(new YamlMappingNode { { "classes", value } }), $"classes of camera '{camera}'");
        var map = Load(definition, $"definition of camera '{camera}'") as YamlMappingNode
            ?? throw new CamerasConfigException($"definition of camera '{camera}': expected a mapping");
        map.Children[new YamlScalarNode("classes")] = value;
        return Write(map);
    }

    private static YamlNode Load(string text, string sourceName)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new CamerasConfigException($"{sourceName} is not valid YAML or JSON (line {e.Start.Line}, column {e.Start.Column}): {e.Message}", e);
        }

        return stream.Documents.Count > 0 ? stream.Documents[0].RootNode : throw new CamerasConfigException($"{sourceName}: expected a value, got nothing");
    }

    private static string Write(YamlNode node)
    {
        using var writer = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }
}
