using System.Diagnostics;
using OpenCvSharp;
using OpenVocab.Classification;
using OpenVocab.Imaging;

namespace OpenVocab.Search;

/// <summary>
/// One build or update of an image index file (see <see cref="ImageIndex.Build"/>): compares the folder with the
/// existing index, embeds new and changed images in batches, and saves checkpoints. Used once, by one thread.
/// </summary>
internal sealed class ImageIndexBuilder
{
    private readonly string _root;
    private readonly string _indexFile;
    private readonly ImageEncoder _encoder;
    private readonly ImageIndexBuildOptions _options;

    // The index being built, by relative path; saved in this (ordinal) order.
    private readonly SortedDictionary<string, (ImageIndexEntry Entry, float[] Vector)> _state = new(StringComparer.Ordinal);
    private readonly List<string> _added = [], _updated = [], _unchanged = [];
    private readonly List<ImageIndexFailure> _failed = [];
    private readonly Stopwatch _sinceSave = new();
    private int _embeddedSinceSave;

    // True while the file on disk differs from _state.
    private bool _dirty;

    private ImageIndexBuilder(string root, string indexFile, ImageEncoder encoder, ImageIndexBuildOptions options)
    {
        _root = root;
        _indexFile = indexFile;
        _encoder = encoder;
        _options = options;
    }

    /// <summary>Builds or updates <paramref name="indexFile"/> from <paramref name="folder"/>; arguments as in <see cref="ImageIndex.Build"/>.</summary>
    public static ImageIndexBuildResult Build(string folder, string indexFile, ImageEncoder encoder, ImageIndexBuildOptions options,
        IProgress<ImageIndexProgress>? progress, CancellationToken cancellationToken)
    {
        string root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Folder '{root}' does not exist.");
        }

        return new ImageIndexBuilder(root, Path.GetFullPath(indexFile), encoder, options).Run(progress, cancellationToken);
    }

    private ImageIndexBuildResult Run(IProgress<ImageIndexProgress>? progress, CancellationToken cancellationToken)
    {
        var existed = File.Exists(_indexFile);
        if (existed)
        {
            LoadExisting();
        }

        var files = ScanFolder();
        var removed = DropMissing(files);
        var todo = Changed(files);
        _dirty = removed.Count > 0 || !existed;

        var clock = Stopwatch.StartNew();
        _sinceSave.Restart();
        int done = 0;
        for (int start = 0; start < todo.Count; start += _options.BatchSize)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Save();
                cancellationToken.ThrowIfCancellationRequested();
            }

            var batch = todo.GetRange(start, Math.Min(_options.BatchSize, todo.Count - start));
            Embed(batch);
            done += batch.Count;
            progress?.Report(new ImageIndexProgress(done, todo.Count, clock.Elapsed));
            if (_embeddedSinceSave >= _options.CheckpointImages || _sinceSave.Elapsed >= _options.CheckpointInterval)
            {
                Save();
            }
        }

        if (_dirty || todo.Count > 0)
        {
            Save();
        }

        ImageIndex index = ImageIndex.Load(_indexFile, _encoder.Identity);
        return new ImageIndexBuildResult(index, _added, _updated, _unchanged, [.. removed.Select(r => Path.GetFullPath(Path.Combine(_root, r)))], _failed);
    }

    /// <summary>Starts from the existing index when it covers the same folder (checked against the encoder).</summary>
    private void LoadExisting()
    {
        ImageIndex old = ImageIndex.Load(_indexFile, _encoder.Identity);
        // Entries of another root describe other files; a different root starts from scratch.
        if (string.Equals(old.Root, _root, StringComparison.Ordinal))
        {
            for (int i = 0; i < old.Count; i++)
            {
                _state[old.Entries[i].RelativePath] = (old.Entries[i], old.Vector(i).ToArray());
            }
        }
    }

    /// <summary>The images under the root (recursive, hidden and system files skipped, the index itself left out), by relative path.</summary>
    private List<ImageFile> ScanFolder()
    {
        var files = new List<ImageFile>();
        var walk = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System };
        foreach (string file in Directory.EnumerateFiles(_root, "*", walk))
        {
            if (!ImageIndexBuildOptions.ImageExtensions.Contains(Path.GetExtension(file)) || string.Equals(file, _indexFile, StringComparison.Ordinal))
            {
                continue;
            }

            var info = new FileInfo(file);
            files.Add(new ImageFile(Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/'), file, info.Length, info.LastWriteTimeUtc.Ticks));
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        return files;
    }

    /// <summary>Drops the entries whose files are gone; returns their relative paths.</summary>
    private List<string> DropMissing(List<ImageFile> files)
    {
        var present = new HashSet<string>(files.Select(f => f.Relative), StringComparer.Ordinal);
        var removed = _state.Keys.Where(k => !present.Contains(k)).ToList();
        foreach (string key in removed)
        {
            _state.Remove(key);
        }

        return removed;
    }

    /// <summary>The new files and those whose size or last-write time changed; the others are listed as unchanged.</summary>
    private List<(ImageFile File, bool Known)> Changed(List<ImageFile> files)
    {
        var todo = new List<(ImageFile, bool)>();
        foreach (var f in files)
        {
            if (_state.TryGetValue(f.Relative, out var existing) && existing.Entry.FileSize == f.Size && existing.Entry.LastWriteUtcTicks == f.Ticks)
            {
                _unchanged.Add(f.Full);
            }
            else
            {
                todo.Add((f, _state.ContainsKey(f.Relative)));
            }
        }

        return todo;
    }

    /// <summary>Decodes and embeds one batch; files that do not decode are listed as failed and leave the index.</summary>
    private void Embed(List<(ImageFile File, bool Known)> batch)
    {
        var mats = new List<Mat>(batch.Count);
        var decoded = new List<(ImageFile File, bool Known)>(batch.Count);
        try
        {
            foreach (var item in batch)
            {
                try
                {
                    mats.Add(ImageLoader.Read(item.File.Full));
                    decoded.Add(item);
                }
                catch (ImageDecodeException e)
                {
                    _failed.Add(new ImageIndexFailure(item.File.Full, e.Message));
                    // A changed file that no longer decodes must not keep its stale vector.
                    _dirty |= _state.Remove(item.File.Relative);
                }
            }

            if (mats.Count == 0)
            {
                return;
            }

            float[][] vectors = _encoder.Encode(mats);
            for (int i = 0; i < decoded.Count; i++)
            {
                var (file, known) = decoded[i];
                _state[file.Relative] = (new ImageIndexEntry(file.Relative, file.Size, file.Ticks), vectors[i]);
                (known ? _updated : _added).Add(file.Full);
            }

            _embeddedSinceSave += decoded.Count;
            _dirty = true;
        }
        finally
        {
            foreach (Mat m in mats)
            {
                m.Dispose();
            }
        }
    }

    private void Save()
    {
        var values = _state.Values.ToArray();
        ImageIndexFile.Write(_indexFile, _root, _encoder.Identity, [.. values.Select(v => v.Entry)], i => values[i].Vector);
        _sinceSave.Restart();
        _embeddedSinceSave = 0;
        _dirty = false;
    }

    /// <summary>An image file found under the root.</summary>
    private readonly record struct ImageFile(string Relative, string Full, long Size, long Ticks);
}
