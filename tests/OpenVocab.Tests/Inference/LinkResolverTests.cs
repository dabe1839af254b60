using OpenVocab.Inference;

namespace OpenVocab.Tests.Inference;

/// <summary>Real links in a temporary folder, resolved the way the operating system resolves them.</summary>
public sealed class LinkResolverTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Links_in_every_part_of_the_path_are_followed()
    {
        Directory.CreateDirectory(_dir.File("real/deep"));
        File.WriteAllText(_dir.File("real/deep/model.onnx"), "x");
        Directory.CreateSymbolicLink(_dir.File("folder-link"), "real/deep");             // relative, a folder
        File.CreateSymbolicLink(_dir.File("real/file-link"), _dir.File("folder-link/model.onnx")); // absolute, through another link
        File.CreateSymbolicLink(_dir.File("climb"), "real/deep/../deep/model.onnx");    // ".." inside a target

        var expected = _dir.File("real/deep/model.onnx");
        Assert.Equal(expected, LinkResolver.Resolve(_dir.File("folder-link/model.onnx")));
        Assert.Equal(expected, LinkResolver.Resolve(_dir.File("real/file-link")));
        Assert.Equal(expected, LinkResolver.Resolve(_dir.File("climb")));
        Assert.Equal(expected, LinkResolver.Resolve(expected));

        // A missing file resolves to where it would be; a dangling link to its missing target.
        Assert.Equal(_dir.File("real/deep/none.onnx"), LinkResolver.Resolve(_dir.File("folder-link/none.onnx")));
        File.CreateSymbolicLink(_dir.File("dangling"), "gone");
        Assert.Equal(_dir.File("gone"), LinkResolver.Resolve(_dir.File("dangling")));
    }

    [Fact]
    public void Loops_and_overlong_chains_give_null()
    {
        File.CreateSymbolicLink(_dir.File("a"), "b");
        File.CreateSymbolicLink(_dir.File("b"), "a");
        Assert.Null(LinkResolver.Resolve(_dir.File("a")));
        Directory.CreateSymbolicLink(_dir.File("self"), "self");
        Assert.Null(LinkResolver.Resolve(_dir.File("self/model.onnx")));

        // A chain as long as the limit still resolves; one more link is too many, as for the kernel.
        File.WriteAllText(_dir.File("end"), "x");
        var previous = "end";
        for (var i = 1; i <= LinkResolver.MaxLinks + 1; i++)
        {
            File.CreateSymbolicLink(_dir.File($"chain{i}"), previous);
            previous = $"chain{i}";
        }

        Assert.Equal(_dir.File("end"), LinkResolver.Resolve(_dir.File($"chain{LinkResolver.MaxLinks}")));
        Assert.Null(LinkResolver.Resolve(_dir.File($"chain{LinkResolver.MaxLinks + 1}")));
    }

    [Theory]
    [InlineData("/p/pack/x.onnx", "/p/pack", true)]
    [InlineData("/p/pack/sub/x.onnx", "/p/pack", true)]
    [InlineData("/p/pack-other/x.onnx", "/p/pack", false)]
    [InlineData("/p/x.onnx", "/p/pack", false)]
    [InlineData("/p/pack", "/p/pack", false)]
    public void Inside_means_below_the_folder_not_beside_it(string file, string folder, bool inside) =>
        Assert.Equal(inside, LinkResolver.IsInside(file, folder));
}
