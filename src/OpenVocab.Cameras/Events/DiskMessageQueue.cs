using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace OpenVocab.Cameras.Events;

/// <summary>
/// A bounded first-in first-out queue of (topic, payload) messages kept as one small file per message in a folder,
/// so that what waited for the broker survives a restart of the process. Beyond the limit the oldest message is
/// deleted. Not thread-safe (the MQTT sink's loop is its only user).
/// </summary>
internal sealed class DiskMessageQueue
{
    private const string Extension = ".msg";
    private readonly string _folder;
    private readonly int _limit;
    private readonly Queue<long> _files = new();
    private long _next;

    public DiskMessageQueue(string folder, int limit)
    {
        _folder = folder;
        _limit = limit;
        Directory.CreateDirectory(folder);
        // Messages left by an earlier run go first, in their order.
        var existing = Directory.EnumerateFiles(folder, "*" + Extension)
            .Select(f => long.TryParse(Path.GetFileNameWithoutExtension(f), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1)
            .Where(n => n >= 0)
            .Order()
            .ToList();
        foreach (var n in existing)
        {
            _files.Enqueue(n);
        }

        _next = existing.Count > 0 ? existing[^1] + 1 : 0;
    }

    public int Count => _files.Count;

    /// <summary>Appends a message; returns how many old messages were deleted to stay within the limit.</summary>
    public int Enqueue(string topic, ReadOnlySpan<byte> payload)
    {
        var dropped = 0;
        while (_files.Count >= _limit)
        {
            File.Delete(PathOf(_files.Dequeue()));
            dropped++;
        }

        var topicBytes = Encoding.UTF8.GetBytes(topic);
        var data = new byte[4 + topicBytes.Length + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(data, topicBytes.Length);
        topicBytes.CopyTo(data, 4);
        payload.CopyTo(data.AsSpan(4 + topicBytes.Length));
        var n = _next++;
        // Write then rename, so that a crash never leaves a half-written message under a queue name.
        var temp = PathOf(n) + ".tmp";
        File.WriteAllBytes(temp, data);
        File.Move(temp, PathOf(n), overwrite: true);
        _files.Enqueue(n);
        return dropped;
    }

    /// <summary>The oldest message, or false when empty. A damaged file is deleted and skipped.</summary>
    public bool TryPeek(out string topic, out byte[] payload)
    {
        while (_files.TryPeek(out var n))
        {
            try
            {
                var data = File.ReadAllBytes(PathOf(n));
                var length = BinaryPrimitives.ReadInt32LittleEndian(data);
                if (length >= 0 && 4 + length <= data.Length)
                {
                    topic = Encoding.UTF8.GetString(data, 4, length);
                    payload = data[(4 + length)..];
                    return true;
                }
            }
            catch (Exception e) when (e is IOException or ArgumentOutOfRangeException)
            {
                // Unreadable: drop it below.
            }

            RemoveHead();
        }

        topic = "";
        payload = [];
        return false;
    }

    /// <summary>Deletes the oldest message.</summary>
    public void RemoveHead()
    {
        if (_files.TryDequeue(out var n))
        {
            File.Delete(PathOf(n));
        }
    }

    private string PathOf(long n) => Path.Combine(_folder, n.ToString("D16", CultureInfo.InvariantCulture) + Extension);
}
