using System.Collections.Concurrent;
using Hoshino.Store;

namespace Hoshino.UnitTests.TestSupport;

/// <summary>
/// Wraps a store so a test can see every request and script failures or stalls: each Before* hook
/// runs before the request reaches the inner store and may throw or wait. Doorbell PUTs
/// (<c>{dest}/doorbell</c>) are kept apart from bundle PUTs: see <see cref="Rings"/> and <see cref="BeforeRing"/>.
/// </summary>
internal sealed class ScriptedStore(IPacketStore inner) : IPacketStore
{
    private int _putAttempts;
    private int _deleteCalls;
    private int _listCalls;
    private int _headCalls;

    public ScriptedStore() : this(new MemoryPacketStore())
    {
    }

    public IPacketStore Inner { get; } = inner;

    public Func<string, CancellationToken, Task>? BeforePut { get; set; }

    /// <summary>Runs after a bundle PUT reached the inner store, with its key and body; may throw, to play a PUT that landed but "failed".</summary>
    public Func<string, byte[], CancellationToken, Task>? AfterPut { get; set; }
    public Func<string, CancellationToken, Task>? BeforeGet { get; set; }
    public Func<IReadOnlyList<string>, CancellationToken, Task>? BeforeDelete { get; set; }

    /// <summary>Rewrites what a LIST returns, to play a store that misbehaves.</summary>
    public Func<IReadOnlyList<StoredObject>, IReadOnlyList<StoredObject>>? AfterList { get; set; }

    /// <summary>Successful PUTs, in the order they completed.</summary>
    public ConcurrentQueue<(string Key, byte[] Body)> Puts { get; } = new();

    /// <summary>GET requests per key (whatever their outcome).</summary>
    public ConcurrentDictionary<string, int> Gets { get; } = new(StringComparer.Ordinal);

    public int PutAttempts => Volatile.Read(ref _putAttempts);
    public int DeleteCalls => Volatile.Read(ref _deleteCalls);
    public int ListCalls => Volatile.Read(ref _listCalls);
    public int HeadCalls => Volatile.Read(ref _headCalls);

    /// <summary>Runs before a HEAD reaches the inner store; may throw.</summary>
    public Func<string, CancellationToken, Task>? BeforeHead { get; set; }
    public int GetCalls => Gets.Values.Sum();

    public string Description => "scripted " + Inner.Description;

    public Task ProbeAsync(string inboxPrefix, CancellationToken cancellationToken) => Inner.ProbeAsync(inboxPrefix, cancellationToken);

    /// <summary>Runs before a doorbell PUT reaches the inner store; may throw or wait.</summary>
    public Func<string, CancellationToken, Task>? BeforeRing { get; set; }

    /// <summary>Successful doorbell PUTs, in the order they completed.</summary>
    public ConcurrentQueue<(string Key, byte[] Body)> Rings { get; } = new();

    public int RingAttempts => Volatile.Read(ref _ringAttempts);

    private int _ringAttempts;

    private async Task RingAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _ringAttempts);
        if (BeforeRing is { } hook)
        {
            await hook(key, cancellationToken);
        }
        await Inner.PutAsync(key, body, cancellationToken);
        Rings.Enqueue((key, body.ToArray()));
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (key.EndsWith("/doorbell", StringComparison.Ordinal))
        {
            await RingAsync(key, body, cancellationToken);
            return;
        }
        Interlocked.Increment(ref _putAttempts);
        if (BeforePut is { } hook)
        {
            await hook(key, cancellationToken);
        }
        await Inner.PutAsync(key, body, cancellationToken);
        if (AfterPut is { } after)
        {
            await after(key, body.ToArray(), cancellationToken);
        }
        Puts.Enqueue((key, body.ToArray()));
    }

    public async Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _putAttempts);
        if (BeforePut is { } hook)
        {
            await hook(key, cancellationToken);
        }
        bool written = await Inner.PutIfAbsentAsync(key, body, cancellationToken);
        if (written)
        {
            Puts.Enqueue((key, body.ToArray()));
        }
        return written;
    }

    public async Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, int limit, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _listCalls);
        IReadOnlyList<StoredObject> listed = await Inner.ListAsync(prefix, limit, cancellationToken);
        return AfterList is { } rewrite ? rewrite(listed) : listed;
    }

    public async Task<byte[]?> GetAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        Gets.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (BeforeGet is { } hook)
        {
            await hook(key, cancellationToken);
        }
        return await Inner.GetAsync(key, maxBytes, cancellationToken);
    }

    /// <summary>A read by name counts as a GET, as it is one, and runs the same hook.</summary>
    public async Task<StoredBody?> ReadAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        Gets.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (BeforeGet is { } hook)
        {
            await hook(key, cancellationToken);
        }
        return await Inner.ReadAsync(key, maxBytes, cancellationToken);
    }

    public async Task<string?> GetTagAsync(string key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _headCalls);
        if (BeforeHead is { } hook)
        {
            await hook(key, cancellationToken);
        }
        return await Inner.GetTagAsync(key, cancellationToken);
    }

    public async Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _deleteCalls);
        if (BeforeDelete is { } hook)
        {
            await hook(keys, cancellationToken);
        }
        await Inner.DeleteAsync(keys, cancellationToken);
    }
}
