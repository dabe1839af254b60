using OpenVocab.Classification;
using OpenVocab.Search;
using Xunit.Abstractions;

namespace OpenVocab.Tests.Classification;

/// <summary>Image index: search quality on known images, incremental updates, interruption, bad inputs and files.</summary>
public sealed class ImageIndexTests
{
    private readonly ITestOutputHelper _output;

    public ImageIndexTests(ITestOutputHelper output) => _output = output;

    private static ImageEncoder Encoder => ClassificationData.Classifier.ImageEncoder;

    /// <summary>Seen single-object crops with pairwise different colours and different shapes.</summary>
    private static EvalImage[] DistinctCrops(int count)
    {
        var chosen = new List<EvalImage>();
        foreach (EvalImage e in ClassificationData.Labels.Where(e => e.Kind == "crop" && !e.HeldOut))
        {
            if (chosen.All(c => c.Colour != e.Colour && c.Shape != e.Shape))
            {
                chosen.Add(e);
            }
        }

        Assert.True(chosen.Count >= count, $"only {chosen.Count} distinct crops");
        return [.. chosen.Take(count)];
    }

    private static Dictionary<string, EvalImage> CopyInto(TempDir dir, EvalImage[] images)
    {
        var map = new Dictionary<string, EvalImage>(StringComparer.Ordinal);
        for (int i = 0; i < images.Length; i++)
        {
            // Half of them in a subfolder: the build is recursive.
            string folder = i % 2 == 0 ? dir.Path : Path.Combine(dir.Path, "sub", "deeper");
            Directory.CreateDirectory(folder);
            string target = Path.Combine(folder, Path.GetFileName(images[i].Path));
            File.Copy(images[i].Path, target);
            map[Path.GetFullPath(target)] = images[i];
        }

        return map;
    }

    [Fact]
    public void Text_search_finds_the_images_of_known_captions()
    {
        using var dir = new TempDir();
        Dictionary<string, EvalImage> files = CopyInto(dir, DistinctCrops(7));
        ImageIndexBuildResult result = ImageIndex.Build(dir.Path, dir.File("index.ovi"), Encoder);
        Assert.Equal(7, result.Added.Count);
        Assert.Empty(result.Failed);

        ImageIndex index = ImageIndex.Load(dir.File("index.ovi"), Encoder.Identity);
        foreach ((string path, EvalImage image) in files)
        {
            IReadOnlyList<ImageSearchHit> hits = index.SearchText(ClassificationData.Classifier.TextEncoder, $"a photo of a {image.Caption}.", topK: 3);
            _output.WriteLine($"\"{image.Caption}\": {string.Join(", ", hits.Select(h => $"{files[h.Path].Caption} {h.Score:F3}"))}");
            Assert.Equal(path, hits[0].Path);
            Assert.True(hits[0].Score >= hits[1].Score && hits[1].Score >= hits[2].Score);
        }

        // Query by example: each image finds itself first, with cosine ~1.
        string first = files.Keys.First();
        using OpenCvSharp.Mat mat = OpenVocab.Imaging.ImageLoader.Read(first);
        ImageSearchHit self = index.SearchImage(Encoder, mat, 1)[0];
        Assert.Equal(first, self.Path);
        Assert.True(self.Score > 0.9999f);
    }

    [Fact]
    public void Update_re_embeds_only_new_and_changed_files_and_drops_deleted_ones()
    {
        using var dir = new TempDir();
        EvalImage[] crops = DistinctCrops(6);
        Dictionary<string, EvalImage> files = CopyInto(dir, crops[..5]);
        string indexFile = dir.File("index.ovi");
        ImageIndex.Build(dir.Path, indexFile, Encoder);

        string[] paths = [.. files.Keys.Order(StringComparer.Ordinal)];
        File.Delete(paths[0]);
        File.Copy(crops[5].Path, paths[1], overwrite: true); // changed: other content, size and time
        string added = Path.Combine(dir.Path, "new.jpg");
        File.Copy(crops[5].Path, added);

        long before = Encoder.ImagesEncoded;
        ImageIndexBuildResult update = ImageIndex.Build(dir.Path, indexFile, Encoder);
        Assert.Equal([added], update.Added);
        Assert.Equal([paths[1]], update.Updated);
        Assert.Equal([paths[0]], update.Removed);
        Assert.Equal(3, update.Unchanged.Count);
        Assert.Equal(5, update.Index.Count);
        // Encoder counters are shared with concurrently running tests: at least 2 new encodings happened, and the
        // unchanged files' vectors are the stored ones (exactly equal to a fresh encoding).
        Assert.True(Encoder.ImagesEncoded - before >= 2);
        ImageIndex index = ImageIndex.Load(indexFile, Encoder.Identity);
        int changed = Enumerable.Range(0, index.Count).Single(i => index.FullPath(i) == paths[1]);
        Assert.True(EmbeddingMath.Dot(index.Vector(changed), Encoder.EncodeFiles([crops[5].Path])[0]) > 0.99999f);

        ImageIndexBuildResult again = ImageIndex.Build(dir.Path, indexFile, Encoder);
        Assert.Empty(again.Added);
        Assert.Empty(again.Updated);
        Assert.Empty(again.Removed);
        Assert.Equal(5, again.Unchanged.Count);
    }

    [Fact]
    public void An_interrupted_build_keeps_what_it_finished_and_the_next_build_continues()
    {
        using var dir = new TempDir();
        EvalImage[] crops = [.. ClassificationData.Labels.Take(12)];
        foreach (EvalImage e in crops)
        {
            File.Copy(e.Path, Path.Combine(dir.Path, Path.GetFileName(e.Path)));
        }

        string indexFile = dir.File("index.ovi");
        using var cancel = new CancellationTokenSource();
        var options = new ImageIndexBuildOptions { BatchSize = 2, CheckpointImages = 2 };
        var progress = new InlineProgress(p =>
        {
            if (p.Done >= 6)
            {
                cancel.Cancel();
            }
        });
        Assert.Throws<OperationCanceledException>(() => ImageIndex.Build(dir.Path, indexFile, Encoder, options, progress, cancel.Token));

        ImageIndex partial = ImageIndex.Load(indexFile, Encoder.Identity);
        Assert.Equal(6, partial.Count);
        Assert.False(Directory.EnumerateFiles(dir.Path, "*.tmp").Any(), "a temporary file was left behind");

        ImageIndexBuildResult rest = ImageIndex.Build(dir.Path, indexFile, Encoder, options);
        Assert.Equal(6, rest.Unchanged.Count);
        Assert.Equal(6, rest.Added.Count);
        Assert.Equal(12, rest.Index.Count);
    }

    [Fact]
    public void Damaged_images_are_listed_and_skipped()
    {
        using var dir = new TempDir();
        CopyInto(dir, DistinctCrops(3));
        File.WriteAllText(dir.File("not-an-image.png"), "hello");
        File.WriteAllBytes(dir.File("empty.jpg"), []);
        byte[] jpeg = File.ReadAllBytes(ClassificationData.Labels[0].Path);
        File.WriteAllBytes(dir.File("truncated.jpg"), jpeg[..(jpeg.Length / 2)]);
        File.WriteAllText(dir.File("notes.txt"), "not indexed: not an image extension");

        ImageIndexBuildResult result = ImageIndex.Build(dir.Path, dir.File("index.ovi"), Encoder);
        Assert.Equal(3, result.Index.Count);
        Assert.Equal(3, result.Failed.Count);
        Assert.Contains(result.Failed, f => f.Path.EndsWith("truncated.jpg", StringComparison.Ordinal) && f.Reason.Contains("truncated", StringComparison.Ordinal));
        Assert.Contains(result.Failed, f => f.Path.EndsWith("empty.jpg", StringComparison.Ordinal) && f.Reason.Contains("empty", StringComparison.Ordinal));
        Assert.Contains(result.Failed, f => f.Path.EndsWith("not-an-image.png", StringComparison.Ordinal));
    }

    [Fact]
    public void An_index_from_another_model_or_a_damaged_file_is_a_clear_error()
    {
        using var dir = new TempDir();
        CopyInto(dir, DistinctCrops(2));
        string indexFile = dir.File("index.ovi");
        ImageIndex built = ImageIndex.Build(dir.Path, indexFile, Encoder).Index;

        // Another model: same vectors, other identity.
        var other = ImageIndex.Create(dir.Path, Encoder.Identity with { FileSha256 = new string('0', 64), PackName = "other-pack" },
            built.Entries, Enumerable.Range(0, built.Count).SelectMany(i => built.Vector(i).ToArray()).ToArray());
        string otherFile = dir.File("other.ovi");
        other.Save(otherFile);
        var mismatch = Assert.Throws<ImageIndexModelMismatchException>(() => ImageIndex.Load(otherFile, Encoder.Identity));
        Assert.Contains("other-pack", mismatch.Message, StringComparison.Ordinal);
        Assert.Throws<ImageIndexModelMismatchException>(() => ImageIndex.Build(dir.Path, otherFile, Encoder));
        Assert.Equal(2, ImageIndex.Load(otherFile).Count); // without an expected model it loads

        byte[] good = File.ReadAllBytes(indexFile);
        byte[] flipped = (byte[])good.Clone();
        flipped[good.Length / 2] ^= 0x40;
        File.WriteAllBytes(dir.File("flipped.ovi"), flipped);
        var damaged = Assert.Throws<ImageIndexException>(() => ImageIndex.Load(dir.File("flipped.ovi")));
        Assert.Contains("damaged", damaged.Message, StringComparison.Ordinal);

        File.WriteAllBytes(dir.File("truncated.ovi"), good[..(good.Length - 100)]);
        Assert.Throws<ImageIndexException>(() => ImageIndex.Load(dir.File("truncated.ovi")));

        File.WriteAllText(dir.File("text.ovi"), "just some text that is long enough to read a header from");
        var notIndex = Assert.Throws<ImageIndexException>(() => ImageIndex.Load(dir.File("text.ovi")));
        Assert.Contains("not an OpenVocab image index", notIndex.Message, StringComparison.Ordinal);

        byte[] future = (byte[])good.Clone();
        future[8] = 99;
        File.WriteAllBytes(dir.File("future.ovi"), future);
        Assert.Contains("version 99", Assert.Throws<ImageIndexException>(() => ImageIndex.Load(dir.File("future.ovi"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Top_k_equals_a_full_sort_with_ties_in_entry_order()
    {
        var random = new Random(7);
        const int n = 2000, d = 16;
        var vectors = new float[n * d];
        for (int i = 0; i < vectors.Length; i++)
        {
            // Coarse values make many exact ties.
            vectors[i] = random.Next(-2, 3);
        }

        float[] query = [.. Enumerable.Range(0, d).Select(_ => (float)random.Next(-2, 3))];
        var identity = new ModelIdentity("test", 1, new string('a', 64), d, 8);
        var index = ImageIndex.Create("/tmp", identity, [.. Enumerable.Range(0, n).Select(i => new ImageIndexEntry($"{i}.jpg", 1, 1))], vectors);
        int[] expected = [.. Enumerable.Range(0, n)
            .Select(i => (Index: i, Score: EmbeddingMath.Dot(vectors.AsSpan(i * d, d), query)))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Index).Take(25).Select(x => x.Index)];
        Assert.Equal(expected, index.Search(query, 25).Select(h => h.Index));
        Assert.Equal(n, index.Search(query, n + 5).Count);
        Assert.Throws<ArgumentException>(() => index.Search(new float[d + 1], 3));
    }

    private sealed class InlineProgress(Action<ImageIndexProgress> report) : IProgress<ImageIndexProgress>
    {
        public void Report(ImageIndexProgress value) => report(value);
    }
}
