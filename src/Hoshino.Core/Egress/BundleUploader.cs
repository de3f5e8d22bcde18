using Hoshino.Diagnostics;
using Hoshino.Store;
using Microsoft.Extensions.Logging;

namespace Hoshino.Egress;

/// <summary>How a PUT ended.</summary>
internal enum PutOutcome
{
    Stored,
    /// <summary>Retried until its oldest packet was older than <see cref="EgressOptions.MaxPacketAge"/>.</summary>
    Expired,
    /// <summary>Refused for good (access denied, no bucket, bad credentials).</summary>
    Rejected,
    /// <summary>Aborted by shutdown.</summary>
    Shutdown,
}

/// <summary>
/// PUTs one bundle with exponential backoff and jitter while its oldest packet is young enough to
/// matter, always under the same name with the same bytes (a PUT that "failed" may have landed,
/// and a sealed object is bound to its name). Counts what it drops and logs at a limited rate.
/// Thread-safe; many PUTs may run at once.
/// </summary>
internal sealed partial class BundleUploader(IPacketStore store, HoshinoMetrics metrics, TimeProvider time, ILogger logger, EgressOptions options)
{
    private readonly LogLimiter _failureLog = new(time, TimeSpan.FromSeconds(10));

    /// <param name="key">The object's relative key.</param>
    /// <param name="body">What to write, every attempt.</param>
    /// <param name="packets">How many packets the bundle carries (for the drop counts).</param>
    /// <param name="oldest">When its oldest packet was read (<see cref="TimeProvider.GetTimestamp"/>).</param>
    /// <param name="attemptFailed">Told of each failed attempt that will be retried; true when the store throttled.</param>
    /// <param name="abort">Shutdown's abort.</param>
    public async Task<PutOutcome> PutAsync(string key, ReadOnlyMemory<byte> body, int packets, long oldest,
        Action<bool> attemptFailed, CancellationToken abort)
    {
        var backoff = new Backoff(options.RetryMinDelay, options.RetryMaxDelay, factor: 2, jitter: 0.25);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await store.PutAsync(key, body, abort);
                Log.BundleUploaded(logger, key, packets, body.Length);
                return PutOutcome.Stored;
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                metrics.PacketsDropped(Direction.Egress, DropReason.Shutdown, packets);
                return PutOutcome.Shutdown;
            }
            catch (PacketStoreException ex) when (!ex.IsTransient)
            {
                metrics.PacketsDropped(Direction.Egress, DropReason.StoreRejected, packets);
                if (_failureLog.TryEnter(out long suppressed))
                {
                    Log.UploadRejected(logger, key, ex.Message, suppressed);
                }
                return PutOutcome.Rejected;
            }
            catch (Exception ex)
            {
                TimeSpan age = time.GetElapsedTime(oldest);
                TimeSpan delay = backoff.Current;
                if (age + delay > options.MaxPacketAge)
                {
                    metrics.PacketsDropped(Direction.Egress, DropReason.Expired, packets);
                    if (_failureLog.TryEnter(out long suppressed))
                    {
                        Log.UploadExpired(logger, key, attempt, ex.Message, suppressed);
                    }
                    return PutOutcome.Expired;
                }
                if (_failureLog.TryEnter(out long held))
                {
                    Log.UploadRetry(logger, key, attempt, delay, ex.Message, held);
                }
                metrics.StoreRetry(StoreOperation.Put);
                attemptFailed(IsThrottling(ex));
                try
                {
                    await Task.Delay(backoff.Next(), time, abort);
                }
                catch (OperationCanceledException)
                {
                    metrics.PacketsDropped(Direction.Egress, DropReason.Shutdown, packets);
                    return PutOutcome.Shutdown;
                }
            }
        }
    }

    /// <summary>
    /// Whether the store asked us to slow down. The store reports throttling as a transient error
    /// whose message says so (S3Errors: SlowDown, 503, 429); no error kind of its own, yet.
    /// </summary>
    internal static bool IsThrottling(Exception ex) =>
        ex is PacketStoreException { IsTransient: true } && ex.Message.Contains("throttled by the store", StringComparison.Ordinal);
}
