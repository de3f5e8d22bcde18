using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoshino.Transport;

/// <summary>What a receiver's doorbell check found.</summary>
public enum DoorbellState
{
    /// <summary>The tag is the one the last listing showed: nobody rang since.</summary>
    Quiet,
    /// <summary>The tag changed since the last listing (or the doorbell appeared or went): list now.</summary>
    Rung,
    /// <summary>
    /// The HEAD was refused (403: under the least-privilege policy a missing key reads as AccessDenied)
    /// and the node created its own doorbell, or tried to (<see cref="DoorbellCheck.Error"/> says how
    /// that went): list now, and learn the new tag from the listing.
    /// </summary>
    Created,
    /// <summary>
    /// The HEAD was refused again within the creation interval (<see cref="DoorbellCheck.Error"/>):
    /// the doorbell cannot be relied on, so list (every idle poll is a LIST, as before ADR 0007).
    /// </summary>
    Refused,
    /// <summary>The HEAD failed otherwise (<see cref="DoorbellCheck.Error"/>): the store is in trouble.</summary>
    Failed,
}

/// <summary>A doorbell check's outcome: the state, the tag seen (when the HEAD answered), and the error, if any.</summary>
public readonly record struct DoorbellCheck(DoorbellState State, string? Tag, Exception? Error);

/// <summary>
/// The doorbell of ADR 0007, both ends: <c>{kp}{node}/doorbell</c>, an object whose tag changes on
/// every ring. A sender rings a destination's doorbell after storing to it after a quiet spell
/// (<see cref="RingAsync"/>; the decision when is the sender's: egress's one doorbell rings for
/// every destination); an idle receiver HEADs its own (<see cref="CheckAsync"/>), a twelfth of a
/// LIST's price, and lists only when the tag moved. Thread-safe for rings; a receiver's checks come
/// from its polling loop only.
/// </summary>
public sealed partial class Doorbell
{
    /// <summary>Attempts of one ring: a failed ring is retried twice, then counted as failed (the next bundle rings again).</summary>
    public const int RingAttempts = 3;

    /// <summary>An idle receiver HEADs its doorbell every <c>--poll-max</c> ± this fraction (the ingress heartbeat's jitter, which keeps nodes that share a bucket from polling in lock-step).</summary>
    public const double PollJitter = 0.1;

    private readonly IPacketStore _store;
    private readonly TimeProvider _time;
    private readonly HoshinoMetrics _metrics;
    private readonly MonotonicUlid _ids;
    private readonly ILogger _logger;
    /// <summary>A ring given up is logged at most every 10 s, over all destinations.</summary>
    private readonly LogLimiter _failureLog;
    private long _created;

    /// <param name="store">Where the doorbells are.</param>
    /// <param name="self">This node: its own doorbell is the one <see cref="CheckAsync"/> reads.</param>
    /// <param name="time">The clock.</param>
    /// <param name="metrics">Counts rings sent, failed and retried.</param>
    /// <param name="logger">Where a ring given up is reported (the ringing pump's logger); none by default.</param>
    public Doorbell(IPacketStore store, Address16 self, TimeProvider time, HoshinoMetrics metrics, ILogger? logger = null)
    {
        _store = store;
        _time = time;
        _metrics = metrics;
        _ids = new MonotonicUlid(time);
        _logger = logger ?? NullLogger.Instance;
        _failureLog = new LogLimiter(time, TimeSpan.FromSeconds(10));
        Key = ObjectKey.DoorbellOf(self);
    }

    /// <summary>This node's own doorbell key, inside its inbox: every LIST of the inbox shows its tag.</summary>
    public string Key { get; }

    /// <summary>
    /// Rings <paramref name="destination"/>'s doorbell, after the bundle is stored, so a receiver
    /// woken by it finds the bundle: PUTs a fresh body (a new ULID, so the tag changes), retrying
    /// transient failures up to <see cref="RingAttempts"/> in all, waiting <paramref name="retryDelay"/>
    /// and then twice that between attempts. True once rung; false when given up (counted, and
    /// logged at most every 10 s: the caller has the next bundle ring again, and the receiver's
    /// periodic full LIST finds this one) or aborted by <paramref name="abort"/> (not counted).
    /// </summary>
    public async Task<bool> RingAsync(Address16 destination, TimeSpan retryDelay, CancellationToken abort)
    {
        string key = ObjectKey.DoorbellOf(destination);
        byte[] body = ObjectKey.DoorbellBody(_ids.Next());
        try
        {
            // No ceiling: three attempts wait twice at most.
            var backoff = new Backoff(retryDelay, TimeSpan.MaxValue, factor: 2, jitter: 0.25);
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    await _store.PutAsync(key, body, abort);
                    _metrics.DoorbellRung();
                    Log.Rang(_logger, key);
                    return true;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !abort.IsCancellationRequested)
                {
                    if (attempt >= RingAttempts || ex is PacketStoreException { IsTransient: false })
                    {
                        if (_failureLog.TryEnter(out long suppressed))
                        {
                            Log.RingFailed(_logger, key, ex.Message, suppressed);
                        }
                        _metrics.DoorbellFailed();
                        return false;
                    }
                    _metrics.StoreRetry(StoreOperation.Put);
                    await Task.Delay(backoff.Next(), _time, abort);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return false; // shutdown (or the caller's token source disposed mid-ring, as in tests)
        }
    }

    /// <summary>
    /// HEADs this node's doorbell and compares its tag with <paramref name="listedTag"/>, the one the
    /// last complete LIST showed (null: no doorbell then). A refused HEAD (403: the doorbell is
    /// missing, under the least-privilege policy) creates the doorbell, at most once per
    /// <paramref name="createEvery"/>, so a policy that forbids even that costs one PUT per LIST, not per poll.
    /// </summary>
    public async Task<DoorbellCheck> CheckAsync(string? listedTag, TimeSpan createEvery, CancellationToken cancellationToken)
    {
        string? tag;
        try
        {
            tag = await _store.GetTagAsync(Key, cancellationToken);
        }
        catch (PacketStoreException ex) when (ex.Kind == StoreErrorKind.AccessDenied)
        {
            // S3 answers a HEAD of a missing key with 403, not 404, when the reader may not list the
            // key itself (the least-privilege policy allows listing only with s3:prefix = the inbox):
            // the doorbell was never rung, or the lifecycle rule expired it. Make one.
            if (_created != 0 && _time.GetElapsedTime(_created) < createEvery)
            {
                return new DoorbellCheck(DoorbellState.Refused, null, ex);
            }
            _created = _time.GetTimestamp();
            try
            {
                await _store.PutAsync(Key, ObjectKey.DoorbellBody(_ids.Next()), cancellationToken);
                return new DoorbellCheck(DoorbellState.Created, null, null);
            }
            catch (Exception put) when (put is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return new DoorbellCheck(DoorbellState.Created, null, put);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new DoorbellCheck(DoorbellState.Failed, null, ex);
        }
        return new DoorbellCheck(tag == listedTag ? DoorbellState.Quiet : DoorbellState.Rung, tag, null);
    }

    /// <summary>
    /// Deletes this node's doorbell at shutdown (DELETE is free on AWS): the next start lists before
    /// it trusts the doorbell. Failures are ignored; the lifecycle rule expires what is left.
    /// </summary>
    public async Task RemoveAsync(TimeSpan timeout)
    {
        using var tidy = new CancellationTokenSource(timeout, _time);
        await _store.DeleteAsync([Key], tidy.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
