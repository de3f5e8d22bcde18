using Hoshino.Diagnostics;
using Hoshino.Store;

namespace Hoshino.Ingress;

/// <summary>
/// The outcome of one background delete: of <c>Keys</c>, <c>Deleted</c> took effect, confirmed at
/// <c>Confirmed</c> in the pump's order of LIST starts and delete confirmations; <c>Refused</c> the
/// store refused one by one.
/// </summary>
internal sealed record DeleteResult(List<string> Keys, List<string> Deleted, long Confirmed, List<string> Refused);

/// <summary>
/// Deletes what the ingress loop handled, in the background so the next LIST need not wait, one
/// delete in flight at a time. Each result is taken exactly once (<see cref="TakeCompleted"/> or
/// <see cref="TakeAsync"/>) and handed to the ledger by the loop. Loop thread only.
/// </summary>
/// <param name="store">Where the inbox is.</param>
/// <param name="metrics">Counts the deleted objects.</param>
/// <param name="nextOrder">Stamps a confirmation in the same sequence as LIST starts (see <see cref="InboxLedger"/>).</param>
/// <param name="storeFailed">Logs a store failure (rate-limited by the pump).</param>
internal sealed class InboxDeleter(IPacketStore store, HoshinoMetrics metrics, Func<long> nextOrder, Action<string, Exception> storeFailed)
{
    private Task<DeleteResult> _pending = None;

    /// <summary>Starts deleting <paramref name="keys"/>; the previous delete must have been taken.</summary>
    public void Start(List<string> keys, CancellationToken cancellationToken)
    {
        if (!ReferenceEquals(_pending, None))
        {
            throw new InvalidOperationException("the previous delete's result was not taken");
        }
        _pending = DeleteAsync(keys, cancellationToken);
    }

    /// <summary>Completes when the delete in flight (if any) has; its result is still to be taken.</summary>
    public Task Completion => _pending;

    /// <summary>The finished delete's result, once; null while one runs or none was started.</summary>
    public DeleteResult? TakeCompleted()
    {
        if (ReferenceEquals(_pending, None) || !_pending.IsCompleted)
        {
            return null;
        }
        DeleteResult result = _pending.Result;
        _pending = None;
        return result;
    }

    /// <summary>Waits for the delete in flight (if any) and takes its result; an empty result when none.</summary>
    public async Task<DeleteResult> TakeAsync()
    {
        DeleteResult result = await _pending;
        _pending = None;
        return result;
    }

    /// <summary>At shutdown: lets a delete already sent finish, so what was delivered is not delivered again after a restart.</summary>
    public async Task DrainAsync(TimeSpan timeout, TimeProvider time) =>
        await ((Task)_pending).WaitAsync(timeout, time, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    private static readonly Task<DeleteResult> None = Task.FromResult(new DeleteResult([], [], 0, []));

    /// <summary>
    /// Deletes <paramref name="keys"/> in one request. If the store refuses it (not a transient
    /// failure), one bad key may be the cause — a name the store cannot take in a batch, say — and
    /// it must not keep the others from being deleted: each key is then tried alone, and the keys
    /// refused alone are reported so that the ledger gives up on them after a few rounds.
    /// </summary>
    private async Task<DeleteResult> DeleteAsync(List<string> keys, CancellationToken cancellationToken)
    {
        try
        {
            await store.DeleteAsync(keys, cancellationToken);
            metrics.ObjectsDeleted(keys.Count);
            return new DeleteResult(keys, keys, nextOrder(), []);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            storeFailed("deleting handled objects", ex);
            if (!IsRefusal(ex))
            {
                return new DeleteResult(keys, [], 0, []); // the store is in trouble: all of them next time
            }
            if (keys.Count == 1)
            {
                return new DeleteResult(keys, [], 0, keys);
            }
        }
        catch (OperationCanceledException)
        {
            return new DeleteResult(keys, [], 0, []);
        }
        var deleted = new List<string>();
        var refused = new List<string>();
        foreach (string key in keys)
        {
            try
            {
                await store.DeleteAsync([key], cancellationToken);
                deleted.Add(key);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && IsRefusal(ex))
            {
                refused.Add(key);
            }
            catch (Exception)
            {
                break; // transient or cancelled: the rest wait for the next round, uncounted
            }
        }
        metrics.ObjectsDeleted(deleted.Count);
        return new DeleteResult(keys, deleted, nextOrder(), refused);
    }

    /// <summary>The store said no (or the request could not even be made), as opposed to a failure that may pass.</summary>
    private static bool IsRefusal(Exception ex) => ex is not PacketStoreException { Kind: StoreErrorKind.Transient };
}
