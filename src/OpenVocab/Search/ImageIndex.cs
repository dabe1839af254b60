using OpenCvSharp;
using OpenVocab.Classification;
using OpenVocab.Text;

namespace OpenVocab.Search;

/// <summary>
/// Image embeddings of a folder, for exact text-to-image and image-to-image search, kept in a versioned binary file
/// that can be updated incrementally. This type holds the index in memory and searches it; the file format lives in
/// <c>ImageIndexFile</c>, building in <c>ImageIndexBuilder</c>.
/// </summary>
/// <remarks>
/// <para>File format, version 1 (little-endian; strings are .NET <see cref="BinaryWriter"/> strings: a 7-bit-encoded
/// byte length then UTF-8):</para>
/// <code>
/// magic      8 bytes   "OVIMGIDX"
/// version    uint32    1
/// pack name  string    model pack name
/// file size  int64     image encoder ONNX file size in bytes
/// sha256     string    image encoder ONNX file SHA-256, lower-case hex
/// D          int32     embedding size
/// S          int32     image input size
/// root       string    absolute path of the indexed folder
/// N          int32     number of entries
/// N entries: path string (relative to root, '/' separators), size int64, last-write UTC ticks int64, D x float32
/// checksum   32 bytes  SHA-256 of every byte before it
/// </code>
/// <para>
/// Files are written to a temporary file beside the target and renamed over it, so a reader (or a crash) never sees a
/// half-written index. Loading checks magic, version, lengths and checksum, and the model identity when one is given.
/// </para>
/// <para>Thread safety: an index is immutable once built or loaded; searches may run concurrently.</para>
/// </remarks>
public sealed class ImageIndex
{
    /// <summary>The format version this code writes and reads.</summary>
    public const uint FormatVersion = 1;

    private readonly ImageIndexEntry[] _entries;
    private readonly float[] _vectors;

    internal ImageIndex(string root, ModelIdentity identity, ImageIndexEntry[] entries, float[] vectors)
    {
        Root = root;
        Identity = identity;
        _entries = entries;
        _vectors = vectors;
    }

    /// <summary>Absolute path of the indexed folder.</summary>
    public string Root { get; }

    /// <summary>The image encoder the vectors came from.</summary>
    public ModelIdentity Identity { get; }

    /// <summary>Embedding size D.</summary>
    public int Dimension => Identity.Dimension;

    /// <summary>Number of images.</summary>
    public int Count => _entries.Length;

    /// <summary>The indexed images, in order (sorted by relative path).</summary>
    public IReadOnlyList<ImageIndexEntry> Entries => _entries;

    /// <summary>The L2-normalised vector of entry <paramref name="index"/>; valid while this index is referenced.</summary>
    public ReadOnlySpan<float> Vector(int index) => _vectors.AsSpan(checked(index * Dimension), Dimension);

    /// <summary>Full path of entry <paramref name="index"/>.</summary>
    public string FullPath(int index) => Path.GetFullPath(Path.Combine(Root, _entries[index].RelativePath));

    /// <summary>Creates an index from vectors in memory (e.g. for benchmarks or other sources).</summary>
    /// <param name="root">Folder the relative paths are under.</param>
    /// <param name="identity">The encoder the vectors came from.</param>
    /// <param name="entries">One entry per vector.</param>
    /// <param name="vectors">Row-major <c>[N, D]</c>; copied.</param>
    public static ImageIndex Create(string root, ModelIdentity identity, IReadOnlyList<ImageIndexEntry> entries, ReadOnlySpan<float> vectors)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(entries);
        if (vectors.Length != (long)entries.Count * identity.Dimension)
        {
            throw new ArgumentException($"{entries.Count} entries of dimension {identity.Dimension} need {(long)entries.Count * identity.Dimension} floats, got {vectors.Length}.", nameof(vectors));
        }

        return new ImageIndex(Path.GetFullPath(root), identity, [.. entries], vectors.ToArray());
    }

    /// <summary>
    /// Exact top-k search: the query is dotted with every row (SIMD), and the k best are kept with a bounded heap
    /// (no full sort).
    /// </summary>
    /// <param name="query">An L2-normalised query vector of <see cref="Dimension"/> floats.</param>
    /// <param name="topK">How many results, at least 1.</param>
    /// <returns>Best first (ties by entry order); at most <see cref="Count"/> hits. A new list, the caller's.</returns>
    public IReadOnlyList<ImageSearchHit> Search(ReadOnlySpan<float> query, int topK = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        if (query.Length != Dimension)
        {
            throw new ArgumentException($"The query has {query.Length} values but the index holds {Dimension}-value embeddings (another model?).", nameof(query));
        }

        int[] best = TopK.Select(_vectors, Dimension, query, topK, out float[] scores);
        var hits = new ImageSearchHit[best.Length];
        for (int i = 0; i < best.Length; i++)
        {
            hits[i] = new ImageSearchHit(FullPath(best[i]), scores[i], best[i]);
        }

        return hits;
    }

    /// <summary>Searches by text: the text (used as given, no template) is embedded and compared with every image.</summary>
    /// <param name="textEncoder">The text half of the model the index was built with.</param>
    /// <param name="text">The query, e.g. "a photo of a red heart.".</param>
    /// <param name="topK">How many results.</param>
    public IReadOnlyList<ImageSearchHit> SearchText(TextEncoder textEncoder, string text, int topK = 10)
    {
        ArgumentNullException.ThrowIfNull(textEncoder);
        return Search(textEncoder.Encode(text).Span, topK);
    }

    /// <summary>Searches by example image.</summary>
    /// <param name="imageEncoder">The encoder the index was built with (checked).</param>
    /// <param name="image">An 8-bit BGR image.</param>
    /// <param name="topK">How many results.</param>
    /// <exception cref="ImageIndexModelMismatchException">The encoder is not the one the index was built with.</exception>
    public IReadOnlyList<ImageSearchHit> SearchImage(ImageEncoder imageEncoder, Mat image, int topK = 10)
    {
        ArgumentNullException.ThrowIfNull(imageEncoder);
        CheckIdentity(Identity, imageEncoder.Identity, "this index");
        return Search(imageEncoder.Encode(image), topK);
    }

    /// <summary>Loads an index file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="expected">When given, the index must have been built by this encoder.</param>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="ImageIndexException">Not an index, another version, truncated or damaged.</exception>
    /// <exception cref="ImageIndexModelMismatchException">Built with another image encoder than <paramref name="expected"/>.</exception>
    public static ImageIndex Load(string path, ModelIdentity? expected = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Image index '{path}' does not exist.", path);
        }

        ImageIndex index = ImageIndexFile.Read(path);
        if (expected is not null)
        {
            CheckIdentity(index.Identity, expected, $"image index '{path}'");
        }

        return index;
    }

    /// <summary>Writes the index to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ImageIndexFile.Write(path, Root, Identity, _entries, Vector);
    }

    /// <summary>
    /// Builds or updates the index of <paramref name="folder"/> (recursive; jpg, jpeg, png, bmp, webp, tif, tiff, gif)
    /// in <paramref name="indexFile"/>. An existing index for the same folder and encoder is updated: only new files and
    /// files whose size or last-write time changed are embedded, and entries of deleted files are dropped. The file is
    /// saved every <see cref="ImageIndexBuildOptions.CheckpointImages"/> images or
    /// <see cref="ImageIndexBuildOptions.CheckpointInterval"/>, so an interrupted build keeps what it finished; on
    /// cancellation it is saved before <see cref="OperationCanceledException"/> is thrown. Images that cannot be read or
    /// decoded are skipped and listed in <see cref="ImageIndexBuildResult.Failed"/>.
    /// </summary>
    /// <param name="folder">The folder to index.</param>
    /// <param name="indexFile">The index file to create or update.</param>
    /// <param name="encoder">The image encoder.</param>
    /// <param name="options">Batch and checkpoint settings; defaults when null.</param>
    /// <param name="progress">Receives progress after each batch (on the calling thread).</param>
    /// <param name="cancellationToken">Stops the build between batches (after saving).</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ImageIndexException">The existing index file is damaged.</exception>
    /// <exception cref="ImageIndexModelMismatchException">The existing index was built with another encoder.</exception>
    public static ImageIndexBuildResult Build(string folder, string indexFile, ImageEncoder encoder, ImageIndexBuildOptions? options = null,
        IProgress<ImageIndexProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentException.ThrowIfNullOrWhiteSpace(indexFile);
        ArgumentNullException.ThrowIfNull(encoder);
        return ImageIndexBuilder.Build(folder, indexFile, encoder, options ?? new ImageIndexBuildOptions(), progress, cancellationToken);
    }

    private static void CheckIdentity(ModelIdentity actual, ModelIdentity expected, string what)
    {
        if (actual.FileSha256 != expected.FileSha256 || actual.FileSize != expected.FileSize || actual.Dimension != expected.Dimension || actual.ImageSize != expected.ImageSize)
        {
            throw new ImageIndexModelMismatchException(
                $"The model of {what} is {actual}, but the image encoder in use is {expected}: their embeddings cannot be compared. Rebuild the index with this model, or use the model it was built with.");
        }
    }
}
