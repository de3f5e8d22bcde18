using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Store;
using Microsoft.Extensions.Logging;

namespace Hoshino.Egress;

/// <summary>
/// Rings a destination's doorbell (ADR 0007): PUTs <c>{dest}/doorbell</c> with a fresh body (its
/// tag must change), after the bundle is stored, so a receiver woken by it finds the bundle. A few
/// quick retries; if it still fails, the caller has the next bundle ring again, and the
/// receiver's periodic full LIST finds this one. The one place egress writes a doorbell: the
/// transport's shared <c>Doorbell</c> type takes its place once both pumps use it. Thread-safe.
/// </summary>
internal sealed partial class DoorbellRinger(IPacketStore store, MonotonicUlid ids, HoshinoMetrics metrics, TimeProvider time,
    ILogger logger, EgressOptions options)
{
    private readonly LogLimiter _failureLog = new(time, TimeSpan.FromSeconds(10));

    /// <summary>True when rung; false when given up (counted) or aborted by <paramref name="abort"/> (not counted).</summary>
    public async Task<bool> RingAsync(Address16 destination, CancellationToken abort)
    {
        string key = ObjectKey.DoorbellOf(destination);
        byte[] body = ObjectKey.DoorbellBody(ids.Next());
        try
        {
            // No ceiling: three attempts wait twice at most.
            var backoff = new Backoff(options.RetryMinDelay, TimeSpan.MaxValue, factor: 2, jitter: 0.25);
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    await store.PutAsync(key, body, abort);
                    metrics.DoorbellRung();
                    return true;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !abort.IsCancellationRequested)
                {
                    if (attempt >= 3 || ex is PacketStoreException { IsTransient: false })
                    {
                        if (_failureLog.TryEnter(out long suppressed))
                        {
                            Log.RingFailed(logger, key, ex.Message, suppressed);
                        }
                        metrics.DoorbellFailed();
                        return false;
                    }
                    metrics.StoreRetry(StoreOperation.Put);
                    await Task.Delay(backoff.Next(), time, abort);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return false; // shutdown (or the pump disposed without RunAsync's drain, as in tests)
        }
    }
}
