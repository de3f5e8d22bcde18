using System.Diagnostics;
using Hoshino.Diagnostics;

namespace Hoshino.Store;

/// <summary>
/// Counts and times every call to the store it wraps as one request, by operation and error kind:
/// for stores that make no requests of their own (dir:, in-memory). Never wrap the S3 store in it:
/// that store counts each HTTP request it makes, which is not one per call (a LIST of more than
/// 1,000 keys is several pages, a DeleteAsync several batches), and would be counted twice.
/// </summary>
public sealed class InstrumentedPacketStore(IPacketStore inner, HoshinoMetrics metrics) : IPacketStore
{
    public string Description => inner.Description;

    public Task ProbeAsync(string inboxPrefix, CancellationToken cancellationToken) =>
        Time(StoreOperation.List, () => inner.ProbeAsync(inboxPrefix, cancellationToken));

    public Task PutAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        Time(StoreOperation.Put, () => inner.PutAsync(key, body, cancellationToken));

    public Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        Time(StoreOperation.Put, () => inner.PutIfAbsentAsync(key, body, cancellationToken));

    public Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, int limit, CancellationToken cancellationToken) =>
        Time(StoreOperation.List, () => inner.ListAsync(prefix, limit, cancellationToken));

    public Task<byte[]?> GetAsync(string key, int maxBytes, CancellationToken cancellationToken) =>
        Time(StoreOperation.Get, () => inner.GetAsync(key, maxBytes, cancellationToken));

    public Task<StoredBody?> ReadAsync(string key, int maxBytes, CancellationToken cancellationToken) =>
        Time(StoreOperation.Get, () => inner.ReadAsync(key, maxBytes, cancellationToken));

    public Task<string?> GetTagAsync(string key, CancellationToken cancellationToken) =>
        Time(StoreOperation.Head, () => inner.GetTagAsync(key, cancellationToken));

    public Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        keys.Count == 0 ? Task.CompletedTask : Time(StoreOperation.Delete, () => inner.DeleteAsync(keys, cancellationToken));

    private async Task Time(StoreOperation operation, Func<Task> request) =>
        await Time(operation, async () => { await request(); return true; });

    private async Task<T> Time<T>(StoreOperation operation, Func<Task<T>> request)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            T result = await request();
            metrics.StoreRequest(operation, Stopwatch.GetElapsedTime(start));
            return result;
        }
        catch (PacketStoreException ex)
        {
            metrics.StoreRequest(operation, Stopwatch.GetElapsedTime(start));
            metrics.StoreError(operation, ex.Kind);
            throw;
        }
        catch (OperationCanceledException)
        {
            throw; // shutdown, not a store failure
        }
        catch (Exception)
        {
            metrics.StoreRequest(operation, Stopwatch.GetElapsedTime(start));
            metrics.StoreError(operation, StoreErrorKind.Other);
            throw;
        }
    }
}
