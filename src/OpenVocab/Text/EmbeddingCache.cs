namespace OpenVocab.Text;

/// <summary>
/// A thread-safe least-recently-used map from prompt to embedding. Values are never modified after insertion,
/// so a value read from the cache stays valid after it is evicted.
/// </summary>
internal sealed class EmbeddingCache
{
    private readonly int _capacity;
    private readonly Dictionary<string, LinkedListNode<KeyValuePair<string, float[]>>> _map;
    private readonly LinkedList<KeyValuePair<string, float[]>> _order = new();
    private readonly Lock _lock = new();

    public EmbeddingCache(int capacity)
    {
        _capacity = capacity;
        _map = new Dictionary<string, LinkedListNode<KeyValuePair<string, float[]>>>(Math.Min(capacity, 1024), StringComparer.Ordinal);
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    public bool TryGet(string key, out float[] value)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                value = node.Value.Value;
                return true;
            }
        }

        value = [];
        return false;
    }

    public void Set(string key, float[] value)
    {
        if (_capacity == 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_map.TryGetValue(key, out var existing))
            {
                _order.Remove(existing);
            }
            else if (_map.Count >= _capacity)
            {
                LinkedListNode<KeyValuePair<string, float[]>> oldest = _order.Last!;
                _order.RemoveLast();
                _map.Remove(oldest.Value.Key);
            }

            var node = new LinkedListNode<KeyValuePair<string, float[]>>(new(key, value));
            _order.AddFirst(node);
            _map[key] = node;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _map.Clear();
            _order.Clear();
        }
    }
}
