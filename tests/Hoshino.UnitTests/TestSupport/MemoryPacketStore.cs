using Hoshino.Store;

namespace Hoshino.UnitTests.TestSupport;

/// <summary>
/// An in-memory <see cref="IPacketStore"/>: a sorted map of keys to bodies. Thread-safe. With a
/// <paramref name="time"/>, listings report when each object was written; with
/// <paramref name="contentTags"/>, tags are a hash of the body, as S3's ETag is (the same body
/// written again keeps its tag); else each write gets a new tag.
/// </summary>
internal sealed class MemoryPacketStore(TimeProvider? time = null, bool contentTags = false) : IPacketStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DateTimeOffset> _modified = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, byte[]> _objects = new(StringComparer.Ordinal);
    /// <summary>Each write's number, as its tag: a rewrite gets a new tag, as an ETag would for a new body.</summary>
    private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
    private long _writes;

    public string Description => "memory";

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _objects.Count;
            }
        }
    }

    public Task ProbeAsync(string inboxPrefix, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task PutAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            _objects[key] = body.ToArray();
            _versions[key] = ++_writes;
            _modified[key] = time?.GetUtcNow() ?? default;
        }
        return Task.CompletedTask;
    }

    public Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_objects.TryAdd(key, body.ToArray()))
            {
                return Task.FromResult(false);
            }
            _versions[key] = ++_writes;
            _modified[key] = time?.GetUtcNow() ?? default;
            return Task.FromResult(true);
        }
    }

    public Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, int limit, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<StoredObject> found = [.. _objects
                .Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal))
                .Take(limit)
                .Select(o => new StoredObject(o.Key, o.Value.Length, TagOf(o.Key), time is null ? null : _modified[o.Key]))];
            return Task.FromResult(found);
        }
    }

    public Task<byte[]?> GetAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_objects.TryGetValue(key, out byte[]? body))
            {
                return Task.FromResult<byte[]?>(null);
            }
            if (body.Length > maxBytes)
            {
                throw new PacketStoreException(StoreErrorKind.TooLarge, $"{key} is {body.Length} bytes");
            }
            return Task.FromResult<byte[]?>(body.ToArray());
        }
    }

    public Task<string?> GetTagAsync(string key, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_objects.ContainsKey(key) ? TagOf(key) : null);
        }
    }

    private string TagOf(string key) => contentTags // caller holds _lock
        ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(_objects[key]))
        : _versions[key].ToString(System.Globalization.CultureInfo.InvariantCulture);

    public Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            foreach (string key in keys)
            {
                _objects.Remove(key);
            }
        }
        return Task.CompletedTask;
    }

    public bool Contains(string key)
    {
        lock (_lock)
        {
            return _objects.ContainsKey(key);
        }
    }
}
