using System.Diagnostics;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using OpenCvSharp;
using OpenVocab.Classification;
using OpenVocab.Imaging;
using OpenVocab.Text;

namespace OpenVocab.Search;

/// <summary>
/// Image embeddings of a folder, for exact text-to-image and image-to-image search, kept in a versioned binary file
/// that can be updated incrementally.
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

    private static readonly byte[] Magic = "OVIMGIDX"u8.ToArray();
    private readonly ImageIndexEntry[] _entries;
    private readonly float[] _vectors;

    private ImageIndex(string root, ModelIdentity identity, ImageIndexEntry[] entries, float[] vectors)
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

        int[] best = TopK(_vectors, Dimension, query, topK, out float[] scores);
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

        byte[] data = File.ReadAllBytes(path);
        if (data.Length < Magic.Length + 4 || !data.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new ImageIndexException($"'{path}' is not an OpenVocab image index (no \"OVIMGIDX\" header).");
        }

        uint version = BitConverter.ToUInt32(data, Magic.Length);
        if (version != FormatVersion)
        {
            throw new ImageIndexException($"Image index '{path}' has format version {version}; this version of OpenVocab reads version {FormatVersion}. Rebuild the index.");
        }

        if (data.Length < Magic.Length + 4 + SHA256.HashSizeInBytes
            || !SHA256.HashData(data.AsSpan(0, data.Length - SHA256.HashSizeInBytes)).AsSpan().SequenceEqual(data.AsSpan(data.Length - SHA256.HashSizeInBytes)))
        {
            throw new ImageIndexException($"Image index '{path}' is damaged or truncated ({data.Length} bytes; its checksum does not match). Rebuild it.");
        }

        ImageIndex index;
        try
        {
            using var reader = new BinaryReader(new MemoryStream(data, Magic.Length + 4, data.Length - Magic.Length - 4 - SHA256.HashSizeInBytes), Encoding.UTF8);
            string pack = reader.ReadString();
            long fileSize = reader.ReadInt64();
            string sha = reader.ReadString();
            int d = reader.ReadInt32();
            int s = reader.ReadInt32();
            string root = reader.ReadString();
            int n = reader.ReadInt32();
            long remaining = reader.BaseStream.Length - reader.BaseStream.Position;
            if (d < 1 || s < 1 || n < 0 || (long)n * ((long)d * 4 + 17) > remaining)
            {
                throw new ImageIndexException($"Image index '{path}' has an invalid header (D={d}, S={s}, N={n} for {remaining} bytes of entries).");
            }

            var entries = new ImageIndexEntry[n];
            var vectors = new float[(long)n * d];
            for (int i = 0; i < n; i++)
            {
                entries[i] = new ImageIndexEntry(reader.ReadString(), reader.ReadInt64(), reader.ReadInt64());
                reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vectors.AsSpan(i * d, d)));
            }

            if (reader.BaseStream.Position != reader.BaseStream.Length)
            {
                throw new ImageIndexException($"Image index '{path}' has {reader.BaseStream.Length - reader.BaseStream.Position} unexpected bytes after its {n} entries.");
            }

            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("Image indexes are read on little-endian machines only.");
            }

            index = new ImageIndex(root, new ModelIdentity(pack, fileSize, sha, d, s), entries, vectors);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or ArgumentException or OverflowException)
        {
            throw new ImageIndexException($"Image index '{path}' is damaged: {e.Message}", e);
        }

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
        Write(path, Root, Identity, _entries, i => Vector(i).ToArray());
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
        options ??= new ImageIndexBuildOptions();
        string root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Folder '{root}' does not exist.");
        }

        ModelIdentity identity = encoder.Identity;
        string indexFull = Path.GetFullPath(indexFile);
        var state = new SortedDictionary<string, (ImageIndexEntry Entry, float[] Vector)>(StringComparer.Ordinal);
        if (File.Exists(indexFull))
        {
            ImageIndex old = Load(indexFull, identity);
            // Entries of another root describe other files; a different root starts from scratch.
            if (string.Equals(old.Root, root, StringComparison.Ordinal))
            {
                for (int i = 0; i < old.Count; i++)
                {
                    state[old._entries[i].RelativePath] = (old._entries[i], old.Vector(i).ToArray());
                }
            }
        }

        var files = new List<(string Relative, string Full, long Size, long Ticks)>();
        foreach (string file in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System }))
        {
            if (!ImageIndexBuildOptions.ImageExtensions.Contains(Path.GetExtension(file)) || string.Equals(file, indexFull, StringComparison.Ordinal))
            {
                continue;
            }

            var info = new FileInfo(file);
            files.Add((Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/'), file, info.Length, info.LastWriteTimeUtc.Ticks));
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        var present = new HashSet<string>(files.Select(f => f.Relative), StringComparer.Ordinal);
        var removed = state.Keys.Where(k => !present.Contains(k)).ToList();
        foreach (string key in removed)
        {
            state.Remove(key);
        }

        var unchanged = new List<string>();
        var todo = new List<(string Relative, string Full, long Size, long Ticks, bool Known)>();
        foreach (var f in files)
        {
            if (state.TryGetValue(f.Relative, out var existing) && existing.Entry.FileSize == f.Size && existing.Entry.LastWriteUtcTicks == f.Ticks)
            {
                unchanged.Add(f.Full);
            }
            else
            {
                todo.Add((f.Relative, f.Full, f.Size, f.Ticks, state.ContainsKey(f.Relative)));
            }
        }

        var added = new List<string>();
        var updated = new List<string>();
        var failed = new List<ImageIndexFailure>();
        var clock = Stopwatch.StartNew();
        var sinceSave = Stopwatch.StartNew();
        int sinceSaveCount = 0;
        bool dirty = removed.Count > 0 || !File.Exists(indexFull);
        void Save()
        {
            var values = state.Values.ToArray();
            Write(indexFull, root, identity, [.. values.Select(v => v.Entry)], i => values[i].Vector);
            sinceSave.Restart();
            sinceSaveCount = 0;
            dirty = false;
        }

        int done = 0;
        for (int start = 0; start < todo.Count; start += options.BatchSize)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Save();
                cancellationToken.ThrowIfCancellationRequested();
            }

            var batch = todo.GetRange(start, Math.Min(options.BatchSize, todo.Count - start));
            var mats = new List<Mat>(batch.Count);
            var ok = new List<(string Relative, string Full, long Size, long Ticks, bool Known)>(batch.Count);
            try
            {
                foreach (var item in batch)
                {
                    try
                    {
                        mats.Add(ImageLoader.Read(item.Full));
                        ok.Add(item);
                    }
                    catch (ImageDecodeException e)
                    {
                        failed.Add(new ImageIndexFailure(item.Full, e.Message));
                        // A changed file that no longer decodes must not keep its stale vector.
                        dirty |= state.Remove(item.Relative);
                    }
                }

                if (mats.Count > 0)
                {
                    float[][] vectors = encoder.Encode(mats);
                    for (int i = 0; i < ok.Count; i++)
                    {
                        var item = ok[i];
                        state[item.Relative] = (new ImageIndexEntry(item.Relative, item.Size, item.Ticks), vectors[i]);
                        (item.Known ? updated : added).Add(item.Full);
                    }

                    dirty = true;
                }
            }
            finally
            {
                foreach (Mat m in mats)
                {
                    m.Dispose();
                }
            }

            done += batch.Count;
            sinceSaveCount += ok.Count;
            progress?.Report(new ImageIndexProgress(done, todo.Count, clock.Elapsed));
            if (sinceSaveCount >= options.CheckpointImages || sinceSave.Elapsed >= options.CheckpointInterval)
            {
                Save();
            }
        }

        if (dirty || todo.Count > 0)
        {
            Save();
        }

        ImageIndex index = Load(indexFull, identity);
        return new ImageIndexBuildResult(index, added, updated, unchanged, [.. removed.Select(r => Path.GetFullPath(Path.Combine(root, r)))], failed);
    }

    internal static int[] TopK(float[] matrix, int d, ReadOnlySpan<float> query, int k, out float[] scores)
    {
        int n = matrix.Length / d;
        k = Math.Min(k, n);
        // Min-heap of the k best so far: root is the weakest kept; a later row with an equal score ranks after earlier ones.
        var heapIndex = new int[k];
        var heapScore = new float[k];
        int size = 0;
        ReadOnlySpan<float> all = matrix;
        for (int row = 0; row < n; row++)
        {
            float score = TensorPrimitives.Dot(all.Slice(row * d, d), query);
            if (size < k)
            {
                heapIndex[size] = row;
                heapScore[size] = score;
                SiftUp(heapIndex, heapScore, size++);
            }
            else if (score > heapScore[0])
            {
                heapIndex[0] = row;
                heapScore[0] = score;
                SiftDown(heapIndex, heapScore, size);
            }
        }

        var order = new int[size];
        for (int i = 0; i < size; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => Weaker(heapScore[b], heapIndex[b], heapScore[a], heapIndex[a]) ? -1 : a == b ? 0 : 1);
        scores = [.. order.Select(i => heapScore[i])];
        return [.. order.Select(i => heapIndex[i])];
    }

    /// <summary>True when (s1, i1) ranks below (s2, i2): lower score, or equal score and later row.</summary>
    private static bool Weaker(float s1, int i1, float s2, int i2) => s1 < s2 || (s1 == s2 && i1 > i2);

    private static void SiftUp(int[] idx, float[] sc, int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Weaker(sc[i], idx[i], sc[parent], idx[parent]))
            {
                break;
            }

            (idx[i], idx[parent]) = (idx[parent], idx[i]);
            (sc[i], sc[parent]) = (sc[parent], sc[i]);
            i = parent;
        }
    }

    private static void SiftDown(int[] idx, float[] sc, int size)
    {
        int i = 0;
        while (true)
        {
            int l = (2 * i) + 1, r = l + 1, m = i;
            if (l < size && Weaker(sc[l], idx[l], sc[m], idx[m]))
            {
                m = l;
            }

            if (r < size && Weaker(sc[r], idx[r], sc[m], idx[m]))
            {
                m = r;
            }

            if (m == i)
            {
                return;
            }

            (idx[i], idx[m]) = (idx[m], idx[i]);
            (sc[i], sc[m]) = (sc[m], sc[i]);
            i = m;
        }
    }

    private static void CheckIdentity(ModelIdentity actual, ModelIdentity expected, string what)
    {
        if (actual.FileSha256 != expected.FileSha256 || actual.FileSize != expected.FileSize || actual.Dimension != expected.Dimension || actual.ImageSize != expected.ImageSize)
        {
            throw new ImageIndexModelMismatchException(
                $"The model of {what} is {actual}, but the image encoder in use is {expected}: their embeddings cannot be compared. Rebuild the index with this model, or use the model it was built with.");
        }
    }

    private static void Write(string path, string root, ModelIdentity identity, ImageIndexEntry[] entries, Func<int, float[]> vectorAt)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        string temp = full + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                using (var hashing = new HashingStream(stream, hash))
                using (var writer = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
                {
                    writer.Write(Magic);
                    writer.Write(FormatVersion);
                    writer.Write(identity.PackName);
                    writer.Write(identity.FileSize);
                    writer.Write(identity.FileSha256);
                    writer.Write(identity.Dimension);
                    writer.Write(identity.ImageSize);
                    writer.Write(root);
                    writer.Write(entries.Length);
                    for (int i = 0; i < entries.Length; i++)
                    {
                        writer.Write(entries[i].RelativePath);
                        writer.Write(entries[i].FileSize);
                        writer.Write(entries[i].LastWriteUtcTicks);
                        float[] v = vectorAt(i);
                        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()));
                    }
                }

                stream.Write(hash.GetHashAndReset());
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Passes writes through to a stream while hashing them.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
        }
    }
}
