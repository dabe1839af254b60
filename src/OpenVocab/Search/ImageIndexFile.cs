using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using OpenVocab.Classification;

namespace OpenVocab.Search;

/// <summary>
/// The image index file format (see <see cref="ImageIndex"/> for the layout): reads it with every check, and writes it
/// atomically with its SHA-256 checksum. The one place that knows the byte layout.
/// </summary>
internal static class ImageIndexFile
{
    private static readonly byte[] Magic = "OVIMGIDX"u8.ToArray();

    /// <summary>The vector of entry <paramref name="index"/>, read while writing.</summary>
    public delegate ReadOnlySpan<float> VectorAt(int index);

    /// <summary>Reads and checks an index file (magic, version, checksum, header, lengths).</summary>
    /// <exception cref="ImageIndexException">Not an index, another version, truncated or damaged.</exception>
    public static ImageIndex Read(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        if (data.Length < Magic.Length + 4 || !data.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new ImageIndexException($"'{path}' is not an OpenVocab image index (no \"OVIMGIDX\" header).");
        }

        uint version = BitConverter.ToUInt32(data, Magic.Length);
        if (version != ImageIndex.FormatVersion)
        {
            throw new ImageIndexException($"Image index '{path}' has format version {version}; this version of OpenVocab reads version {ImageIndex.FormatVersion}. Rebuild the index.");
        }

        if (data.Length < Magic.Length + 4 + SHA256.HashSizeInBytes
            || !SHA256.HashData(data.AsSpan(0, data.Length - SHA256.HashSizeInBytes)).AsSpan().SequenceEqual(data.AsSpan(data.Length - SHA256.HashSizeInBytes)))
        {
            throw new ImageIndexException($"Image index '{path}' is damaged or truncated ({data.Length} bytes; its checksum does not match). Rebuild it.");
        }

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
                reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(vectors.AsSpan(i * d, d)));
            }

            if (reader.BaseStream.Position != reader.BaseStream.Length)
            {
                throw new ImageIndexException($"Image index '{path}' has {reader.BaseStream.Length - reader.BaseStream.Position} unexpected bytes after its {n} entries.");
            }

            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("Image indexes are read on little-endian machines only.");
            }

            return new ImageIndex(root, new ModelIdentity(pack, fileSize, sha, d, s), entries, vectors);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or ArgumentException or OverflowException)
        {
            throw new ImageIndexException($"Image index '{path}' is damaged: {e.Message}", e);
        }
    }

    /// <summary>Writes an index file: to a temporary file beside <paramref name="path"/>, then renamed over it.</summary>
    public static void Write(string path, string root, ModelIdentity identity, IReadOnlyList<ImageIndexEntry> entries, VectorAt vectorAt)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        string temp = full + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                using (var hashing = new HashingStream(stream, hash))
                using (var writer = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
                {
                    writer.Write(Magic);
                    writer.Write(ImageIndex.FormatVersion);
                    writer.Write(identity.PackName);
                    writer.Write(identity.FileSize);
                    writer.Write(identity.FileSha256);
                    writer.Write(identity.Dimension);
                    writer.Write(identity.ImageSize);
                    writer.Write(root);
                    writer.Write(entries.Count);
                    for (int i = 0; i < entries.Count; i++)
                    {
                        writer.Write(entries[i].RelativePath);
                        writer.Write(entries[i].FileSize);
                        writer.Write(entries[i].LastWriteUtcTicks);
                        writer.Write(MemoryMarshal.AsBytes(vectorAt(i)));
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
