using OpenVocab.Cameras.Configuration;
using OpenVocab.Tests;

namespace OpenVocab.Cluster.Tests;

/// <summary>Camera definitions as the cluster stores them: split out of a cameras file, and re-classed.</summary>
public sealed class CameraDefinitionTests
{
    [Fact]
    public void A_cameras_file_splits_into_definitions_that_read_back_as_the_file_reads_them()
    {
        using var dir = new TempDir();
        File.Copy(Path.Combine(TestPaths.Samples, "shapes_walk.mp4"), dir.File("walk.mp4"));
        File.WriteAllText(dir.File("cams.yaml"), """
            mqtt: {host: 127.0.0.1}
            cameras:
              - name: a
                source: walk.mp4
                loop: true
                classes: red circle
                zones: [{name: all, points: [[0, 0], [320, 0], [320, 240], [0, 240]]}]
              - {name: b, source: 'tcp://127.0.0.1:9/x', classes: [blue square]}
            """);
        var file = CamerasConfigReader.Load(dir.File("cams.yaml"));

        var definitions = CameraDefinition.FromFile(dir.File("cams.yaml"));

        Assert.Equal(["a", "b"], definitions.Select(d => d.Name));
        var a = CamerasConfigReader.ParseCamera(definitions[0].Definition, "a");
        Assert.Equal(dir.File("walk.mp4"), a.Source); // relative to the file, made absolute
        Assert.True(a.Loop);
        Assert.Equal(file.Cameras[0].Zones.Single().Points, a.Zones.Single().Points);
        Assert.Equal("tcp://127.0.0.1:9/x", CamerasConfigReader.ParseCamera(definitions[1].Definition, "b").Source);
    }

    [Fact]
    public void A_bad_cameras_file_is_refused_with_the_file_readers_messages()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("bad.yaml"), "cameras: [{name: a, source: x.mp4, stride: 0}]");
        var e = Assert.Throws<CamerasConfigException>(() => CameraDefinition.FromFile(dir.File("bad.yaml")));
        Assert.Contains("stride", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classes_are_replaced_in_any_of_the_files_forms_and_checked()
    {
        const string definition = "{source: x.mp4, classes: [red circle], stride: 3}";
        var list = CamerasConfigReader.ParseCamera(CameraDefinition.WithClasses(definition, "[{name: car, threshold: 0.5, prompts: [a car, an automobile]}, bus]", "c"), "c");
        Assert.Equal(["car", "bus"], list.Classes.Select(c => c.Name));
        Assert.Equal(0.5, list.Classes[0].Threshold);
        Assert.Equal(["a car", "an automobile"], list.Classes[0].Prompts!);
        Assert.Equal(3, list.Stride);

        var text = CamerasConfigReader.ParseCamera(CameraDefinition.WithClasses(definition, "green square, orange circle", "c"), "c");
        Assert.Equal(["green square", "orange circle"], text.Classes.Select(c => c.Name));

        var e = Assert.Throws<CamerasConfigException>(() => CameraDefinition.WithClasses(definition, "{wrong: 1}", "c"));
        Assert.Contains("classes of camera 'c'", e.Message, StringComparison.Ordinal);
    }
}
