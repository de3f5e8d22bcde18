using Hoshino.Store;

namespace Hoshino.TestSupport.Store;

/// <summary>
/// A store whose listings come in random order, as S3 Express One Zone directory buckets list:
/// code that passes over it relies on no listing order. Everything else goes to the store it wraps.
/// </summary>
public sealed class ShuffledListingStore(IPacketStore inner, int seed) : IPacketStore
{
    private readonly Random _random = new(seed);
    private readonly Lock _lock = new();

    public IPacketStore Inner { get; } = inner;

    public string Description => "shuffled " + Inner.Description;

    public Task ProbeAsync(string inboxPrefix, CancellationToken cancellationToken) => Inner.ProbeAsync(inboxPrefix, cancellationToken);

    public Task PutAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) => Inner.PutAsync(key, body, cancellationToken);

    public Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        Inner.PutIfAbsentAsync(key, body, cancellationToken);

    public async Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, int limit, CancellationToken cancellationToken)
    {
        StoredObject[] listed = [.. await Inner.ListAsync(prefix, limit, cancellationToken)];
        lock (_lock)
        {
            _random.Shuffle(listed);
        }
        return listed;
    }

    public Task<byte[]?> GetAsync(string key, int maxBytes, CancellationToken cancellationToken) => Inner.GetAsync(key, maxBytes, cancellationToken);

    public Task<StoredBody?> ReadAsync(string key, int maxBytes, CancellationToken cancellationToken) => Inner.ReadAsync(key, maxBytes, cancellationToken);

    public Task<string?> GetTagAsync(string key, CancellationToken cancellationToken) => Inner.GetTagAsync(key, cancellationToken);

    public Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) => Inner.DeleteAsync(keys, cancellationToken);
}
