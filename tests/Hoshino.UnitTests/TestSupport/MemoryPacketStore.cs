using Hoshino.Store;

namespace Hoshino.UnitTests.TestSupport;

/// <summary>
/// An in-memory <see cref="IPacketStore"/>: a sorted map of keys to bodies, each dated by
/// <paramref name="time"/> (the system clock by default) when written. Thread-safe. With
/// <paramref name="contentTags"/>, tags are a hash of the body, as S3's ETag is (the same body
/// written again keeps its tag); else each write gets a new tag.
/// </summary>
internal sealed class MemoryPacketStore(TimeProvider? time = null, bool contentTags = false) : IPacketStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    /// <summary>When each object was last written, by the store's clock: its Last-Modified.</summary>
    private readonly Dictionary<string, DateTimeOffset> _written = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
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
            _written[key] = _time.GetUtcNow();
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
            _written[key] = _time.GetUtcNow();
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
                .Select(o => new StoredObject(o.Key, o.Value.Length, TagOf(o.Key), _written[o.Key]))];
            return Task.FromResult(found);
        }
    }

    public async Task<byte[]?> GetAsync(string key, int maxBytes, CancellationToken cancellationToken) =>
        (await ReadAsync(key, maxBytes, cancellationToken))?.Body;

    public Task<StoredBody?> ReadAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_objects.TryGetValue(key, out byte[]? body))
            {
                return Task.FromResult<StoredBody?>(null);
            }
            if (body.Length > maxBytes)
            {
                throw new PacketStoreException(StoreErrorKind.TooLarge, $"{key} is {body.Length} bytes");
            }
            return Task.FromResult<StoredBody?>(new StoredBody(body.ToArray(), _written[key]));
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
                _written.Remove(key);
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
