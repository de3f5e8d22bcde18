using System.Net;
using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Tunnel;
using Microsoft.Extensions.Logging;

namespace Hoshino.Ingress;

/// <summary>
/// Moves packets from the node's inbox in the store to the TUN device. Each poll LISTs the whole
/// inbox (no StartAfter cursor: PUTs finish out of order and clocks differ, and a cursor loses
/// those packets), GETs what is new concurrently, validates it, writes the packets in key order
/// (so each sender's packets keep their order), and only then deletes what was handled. A crash can
/// duplicate a packet, never lose one. Nothing from an invalid object reaches the kernel.
/// </summary>
public sealed partial class IngressPump : IDisposable
{
    private readonly ITunDevice _tun;
    private readonly IPacketStore _store;
    private readonly Address16 _self;
    private readonly string _inbox;
    private readonly string _leaseKey;
    private readonly string _doorbellKey;
    private readonly HoshinoMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IngressOptions _options;
    private readonly Heartbeat _heartbeat;
    private readonly LogLimiter _failureLog;
    private readonly LogLimiter _rejectLog;
    private readonly SemaphoreSlim _getSlots;
    // All three are touched only by the polling loop; the background delete reports back through
    // its task's result, which the loop collects before starting the next delete.
    /// <summary>Keys written to the kernel whose delete is not yet confirmed: never written again.</summary>
    private readonly HashSet<string> _delivered = new(StringComparer.Ordinal);
    /// <summary>
    /// Keys delivered within the maximum packet age, with their ULID time: the same key written again
    /// (a replay of a delivered object) is rejected. Older keys are rejected as too old anyway.
    /// </summary>
    private readonly Dictionary<string, DateTimeOffset> _recent = new(StringComparer.Ordinal);
    private DateTimeOffset _lastForget;
    /// <summary>Keys of the delete in flight (delivered or rejected): skipped by the next listing.</summary>
    private HashSet<string> _deleting = new(StringComparer.Ordinal);
    private Task<DeleteResult> _pendingDelete = NoDelete;
    private volatile TaskCompletionSource _wake = NewWake();
    /// <summary>The doorbell's tag as the last complete LIST saw it (null: no doorbell); valid once a LIST succeeded.</summary>
    private string? _doorbellTag;
    private bool _listedOnce;
    private long _lastListTimestamp;
    private long _doorbellCreated;
    /// <summary>
    /// The next LIST, started while the GETs of the last poll that found work were in flight: under
    /// load the loop then takes max(LIST, GET + write) per cycle instead of their sum.
    /// </summary>
    private Task<Listing>? _nextListing;
    /// <summary>
    /// Keys whose delete took effect, with when it was confirmed: a listing that started before that
    /// (a prefetched one) may still show them, and they must not be taken for new (or replayed) objects.
    /// </summary>
    private readonly Dictionary<string, long> _deletedAt = new(StringComparer.Ordinal);
    /// <summary>Orders LIST starts and delete confirmations, which happen on different tasks.</summary>
    private long _order;
    /// <summary>How long the last LIST took; paces empty polls (<see cref="Pace"/>).</summary>
    private TimeSpan _lastListDuration;
    private long _lastWork;

    public IngressPump(ITunDevice tun, IPacketStore store, IPAddress self, HoshinoMetrics metrics, TimeProvider time,
        ILogger<IngressPump> logger, IngressOptions options)
    {
        _tun = tun;
        _store = store;
        _self = Address16.From(self);
        _inbox = ObjectKey.InboxOf(_self);
        _leaseKey = Node.AddressLease.KeyOf(_self);
        _doorbellKey = ObjectKey.DoorbellOf(_self);
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _options = options;
        _heartbeat = new Heartbeat(options.PollMin, options.PollMax, options.Linger, time);
        _failureLog = new LogLimiter(time, TimeSpan.FromSeconds(10));
        _rejectLog = new LogLimiter(time, TimeSpan.FromSeconds(10));
        _keyLogs = NewKeyLogs(time);
        _getSlots = new SemaphoreSlim(options.MaxConcurrentGets);
        metrics.HeartbeatInterval = _heartbeat.Interval;
    }

    /// <summary>
    /// Called on the polling loop when the heartbeat reaches its slowest interval: traffic has
    /// stopped, a good moment for housekeeping that would get in the way of it.
    /// </summary>
    public Action? WentIdle { get; set; }

    /// <summary>
    /// Traffic is expected soon (this node just sent a packet): poll fast again now instead of
    /// finishing a long idle wait. Cheap; any thread.
    /// </summary>
    public void Poke()
    {
        if (_heartbeat.Interval > _heartbeat.Min)
        {
            _heartbeat.Poke();
            _wake.TrySetResult();
        }
    }

    /// <summary>Polls until <paramref name="stoppingToken"/> fires. Store failures are counted, logged (rate-limited) and retried.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        Log.Started(_logger, _inbox, _store.Description);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                PollOutcome outcome = await PollAsync(stoppingToken);
                bool wasIdle = _heartbeat.Interval >= _options.PollMax;
                if (outcome == PollOutcome.Work)
                {
                    _lastWork = _time.GetTimestamp();
                }
                TimeSpan wait = Pace(outcome, _heartbeat.Next(outcome), _lastListDuration, _time.GetElapsedTime(_lastWork));
                if (!wasIdle && _heartbeat.Interval >= _options.PollMax)
                {
                    WentIdle?.Invoke();
                }
                _metrics.HeartbeatInterval = _heartbeat.Interval;
                await WaitAsync(wait, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (_nextListing is { } listing)
            {
                await ((Task)listing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            // Let a delete already sent finish, so what was delivered is not delivered again after a restart.
            await ((Task)_pendingDelete).WaitAsync(TimeSpan.FromSeconds(2), _time, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            // Leave nothing behind: the next start lists before it trusts the doorbell (DELETE is free on AWS).
            using var tidy = new CancellationTokenSource(TimeSpan.FromSeconds(2), _time);
            await _store.DeleteAsync([_doorbellKey], tidy.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Log.Stopped(_logger);
        }
    }

    /// <summary>
    /// While a node lingers at --poll-min after traffic, an empty poll waits at least as long as the
    /// last LIST took: back-to-back LISTs cost a request per LIST latency and, on a store that shares
    /// the node's CPU, slow the store down for everyone; pacing halves that rate and delays a packet
    /// that lands mid-wait by half a LIST on average. Not within <see cref="StreamGap"/> of the last
    /// work: between the bundles of a stream an empty poll is a gap, and a wait there costs throughput.
    /// </summary>
    internal static TimeSpan Pace(PollOutcome outcome, TimeSpan heartbeatWait, TimeSpan lastList, TimeSpan sinceWork) =>
        outcome == PollOutcome.Idle && sinceWork >= StreamGap && lastList > heartbeatWait ? lastList : heartbeatWait;

    /// <summary>Work this recent means a stream is flowing: poll at --poll-min, unpaced.</summary>
    internal static readonly TimeSpan StreamGap = TimeSpan.FromMilliseconds(100);

    private async Task WaitAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (wait <= TimeSpan.FromMilliseconds(5))
        {
            await Task.Delay(wait, _time, cancellationToken);
            return;
        }
        // A long idle wait can be cut short by Poke().
        TaskCompletionSource wake = _wake;
        using var delay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task sleep = Task.Delay(wait, _time, delay.Token);
        await Task.WhenAny(sleep, wake.Task);
        await delay.CancelAsync();
        if (wake.Task.IsCompleted)
        {
            _wake = NewWake();
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// One poll. Idle (the heartbeat at its slowest), the node HEADs its doorbell, a twelfth of a
    /// LIST's price, and lists only when the doorbell changed since the last LIST or
    /// <see cref="IngressOptions.ListMax"/> has passed; otherwise, and always while traffic flows, it lists.
    /// </summary>
    internal async Task<PollOutcome> PollAsync(CancellationToken cancellationToken)
    {
        if (!_listedOnce || _heartbeat.Interval < _options.PollMax || _options.ListMax <= _options.PollMax
            || _time.GetElapsedTime(_lastListTimestamp) >= _options.ListMax)
        {
            return await PollOnceAsync(cancellationToken);
        }
        DiscardNextListing(); // idle now: by the next LIST it would be stale
        string? tag;
        try
        {
            tag = await _store.GetTagAsync(_doorbellKey, cancellationToken);
        }
        catch (PacketStoreException ex) when (ex.Kind == StoreErrorKind.AccessDenied)
        {
            // S3 answers a HEAD of a missing key with 403, not 404, when the reader may not list the
            // key itself (the least-privilege policy allows listing only with s3:prefix = the inbox):
            // the doorbell was never rung, or the lifecycle rule expired it. Make one, and list.
            await CreateDoorbellAsync(ex, cancellationToken);
            return await PollOnceAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            StoreFailed("checking the doorbell", ex);
            return PollOutcome.Congested;
        }
        if (tag == _doorbellTag)
        {
            return PollOutcome.Idle;
        }
        // Rung since the last LIST. A sender rings after its bundle is stored, so the LIST finds it.
        // No Poke: a ring buys one LIST, not the linger's worth of them, so ringing cannot keep a node hot.
        _metrics.DoorbellHeard();
        Log.DoorbellHeard(_logger, tag);
        return await PollOnceAsync(cancellationToken);
    }

    /// <summary>
    /// Writes the node's own doorbell so that HEADs of it succeed; at most once per
    /// <see cref="IngressOptions.ListMax"/>, so a policy that forbids it costs one PUT per LIST, not per poll.
    /// </summary>
    private async Task CreateDoorbellAsync(PacketStoreException headFailure, CancellationToken cancellationToken)
    {
        if (_doorbellCreated != 0 && _time.GetElapsedTime(_doorbellCreated) < _options.ListMax)
        {
            StoreFailed("checking the doorbell", headFailure);
            return;
        }
        _doorbellCreated = _time.GetTimestamp();
        try
        {
            await _store.PutAsync(_doorbellKey, ObjectKey.DoorbellBody(Ulid.NewUlid(_time.GetUtcNow())), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            StoreFailed("creating the doorbell (s3:PutObject on KEYPREFIX*/doorbell; idle polls fall back to LIST)", ex);
        }
    }

    /// <summary>One LIST → GET → write → DELETE cycle.</summary>
    internal async Task<PollOutcome> PollOnceAsync(CancellationToken cancellationToken)
    {
        if (_pendingDelete.IsCompleted)
        {
            CollectDelete(_pendingDelete.Result);
        }
        IReadOnlyList<StoredObject> listing;
        long listStarted, listOrder;
        try
        {
            Task<Listing> pending = _nextListing ?? ListAsync(cancellationToken);
            _nextListing = null;
            (listing, listStarted, listOrder) = await pending;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            StoreFailed("listing", ex);
            return PollOutcome.Congested;
        }
        _lastListTimestamp = listStarted;
        _listedOnce = true;
        _doorbellTag = null;
        ForgetVanished(listing);
        if (listing.Count == 0)
        {
            _deletedAt.Clear(); // nothing deleted before this listing can show up in a later one
            return PollOutcome.Idle;
        }

        var toDelete = new List<string>();
        var fetches = new List<(ObjectKey Key, string Name, Task<byte[]?> Body)>();
        DateTimeOffset now = _time.GetUtcNow();
        ForgetExpired(now);
        foreach (StoredObject item in listing)
        {
            if (item.Key == _leaseKey)
            {
                continue; // the node's own address lease (Node/AddressLease.cs), not a bundle
            }
            if (item.Key == _doorbellKey)
            {
                _doorbellTag = item.Tag; // never fetched, never delivered: only its tag matters
                continue;
            }
            if (_deleting.Contains(item.Key) || (_deletedAt.TryGetValue(item.Key, out long deleted) && deleted > listOrder))
            {
                continue; // handled; its delete is in flight, or took effect after this listing began
            }
            if (_delivered.Contains(item.Key))
            {
                // Written already, but its delete failed: delete again, never write again.
                _metrics.DuplicateSuppressed();
                toDelete.Add(item.Key);
                continue;
            }
            ObjectKey parsed = default;
            RejectReason reason = _recent.ContainsKey(item.Key) ? RejectReason.Replay : Screen(item, now, out parsed);
            if (reason != RejectReason.None)
            {
                Reject(item.Key, reason);
                toDelete.Add(item.Key);
                continue;
            }
            fetches.Add((parsed, item.Key, FetchAsync(item.Key, cancellationToken)));
        }

        ForgetDeletedBefore(listOrder);
        if (fetches.Count > 0 && listing.Count < _options.ListLimit)
        {
            // More is likely on its way: list again while these GETs run. Keys handled meanwhile are
            // in _delivered, _deleting or _deletedAt by the time that listing is read. Not with a
            // backlog past one page: that listing would be the same page again, all in flight.
            _nextListing = ListAsync(cancellationToken);
        }

        int packets = 0;
        bool congested = false;
        var frames = new List<Range>();
        foreach ((ObjectKey key, string name, Task<byte[]?> fetch) in fetches)
        {
            byte[]? body;
            try
            {
                body = await fetch;
            }
            catch (PacketStoreException ex) when (ex.Kind == StoreErrorKind.TooLarge)
            {
                Reject(name, RejectReason.TooLarge);
                toDelete.Add(name);
                continue;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                StoreFailed("fetching " + name, ex); // left in place; the next poll tries again
                congested = true;
                continue;
            }
            if (body is null)
            {
                continue; // gone since the listing
            }
            // With a network key, a sealed body is decrypted in place: the frames then point at plaintext in body.
            RejectReason reason = BundleFormat.Decode(body, name, _options.Key, key.Source, _self, frames);
            if (reason != RejectReason.None)
            {
                Reject(name, reason);
                toDelete.Add(name);
                continue;
            }
            int written = 0;
            long bytes = 0;
            foreach (Range frame in frames)
            {
                ReadOnlySpan<byte> packet = body.AsSpan()[frame];
                if (_tun.Write(packet))
                {
                    written++;
                    bytes += packet.Length;
                }
                else
                {
                    _metrics.PacketsDropped(Direction.Ingress, DropReason.TunWriteFailed);
                    congested = true;
                }
            }
            _metrics.PacketsMoved(Direction.Ingress, written, bytes);
            _metrics.BundleMade(Direction.Ingress, written, body.Length);
            packets += written;
            _delivered.Add(name);
            _recent[name] = key.Id.Time;
            toDelete.Add(name);
            Log.BundleWritten(_logger, name, written);
        }

        await StartDeleteAsync(toDelete, cancellationToken);
        if (congested)
        {
            return PollOutcome.Congested;
        }
        return packets > 0 || toDelete.Count > 0 ? PollOutcome.Work : PollOutcome.Idle;
    }

    /// <summary>
    /// A delete can take effect although it reported failure (the store applied it, then the answer
    /// was lost). Such keys never come back to be deleted again, so once a complete listing no
    /// longer shows them, stop remembering them as waiting for deletion.
    /// </summary>
    private void ForgetVanished(IReadOnlyList<StoredObject> listing)
    {
        if (_delivered.Count == 0 || listing.Count >= _options.ListLimit || _deleting.IsSupersetOf(_delivered))
        {
            return; // nothing whose delete failed, or the listing is not the whole inbox
        }
        var listed = new HashSet<string>(listing.Select(o => o.Key), StringComparer.Ordinal);
        _delivered.RemoveWhere(key => !listed.Contains(key) && !_deleting.Contains(key));
    }

    /// <summary>
    /// Drops remembered keys older than the maximum packet age (at most once a second): from then on
    /// a replay of them is too old anyway.
    /// </summary>
    private void ForgetExpired(DateTimeOffset now)
    {
        if (_recent.Count == 0 || now - _lastForget < TimeSpan.FromSeconds(1))
        {
            return;
        }
        _lastForget = now;
        foreach ((string name, DateTimeOffset made) in _recent)
        {
            if (now - made > _options.MaxPacketAge)
            {
                _recent.Remove(name);
            }
        }
    }

    private RejectReason Screen(StoredObject item, DateTimeOffset now, out ObjectKey key)
    {
        key = default;
        if (!ObjectKey.TryParse(item.Key, out ObjectKey? parsed))
        {
            return RejectReason.BadKey;
        }
        key = parsed.Value;
        if (key.Destination != _self)
        {
            return RejectReason.WrongDestination;
        }
        if (now - key.Id.Time > _options.MaxPacketAge)
        {
            return RejectReason.TooOld;
        }
        return item.Size > _options.MaxObjectBytes ? RejectReason.TooLarge : RejectReason.None;
    }

    private async Task<byte[]?> FetchAsync(string key, CancellationToken cancellationToken)
    {
        await _getSlots.WaitAsync(cancellationToken);
        try
        {
            return await _store.GetAsync(key, _options.MaxObjectBytes, cancellationToken);
        }
        finally
        {
            _getSlots.Release();
        }
    }

    /// <summary>
    /// Deletes in the background so the next LIST need not wait for it; one delete in flight at a
    /// time. Keys being deleted are skipped by the next listing instead of written again.
    /// </summary>
    private async Task StartDeleteAsync(List<string> keys, CancellationToken cancellationToken)
    {
        CollectDelete(await _pendingDelete);
        if (keys.Count > 0)
        {
            _deleting = new HashSet<string>(keys, StringComparer.Ordinal);
            _pendingDelete = DeleteAsync(keys, cancellationToken);
        }
    }

    /// <summary>Takes in the outcome of a finished delete. Loop thread only.</summary>
    private void CollectDelete(DeleteResult result)
    {
        if (result.Keys.Count == 0)
        {
            return;
        }
        if (result.Succeeded)
        {
            foreach (string key in result.Keys)
            {
                _delivered.Remove(key);
                _deletedAt[key] = result.Confirmed;
            }
        }
        // A failed delete leaves its keys in _delivered: listed again, deleted again, not written again.
        _deleting = new HashSet<string>(StringComparer.Ordinal);
        _pendingDelete = NoDelete;
    }

    private static readonly Task<DeleteResult> NoDelete = Task.FromResult(new DeleteResult([], true, 0));

    private async Task<DeleteResult> DeleteAsync(List<string> keys, CancellationToken cancellationToken)
    {
        try
        {
            await _store.DeleteAsync(keys, cancellationToken);
            _metrics.ObjectsDeleted(keys.Count);
            return new DeleteResult(keys, true, Interlocked.Increment(ref _order));
        }
        catch (Exception ex)
        {
            if (ex is not OperationCanceledException)
            {
                StoreFailed("deleting delivered objects", ex);
            }
            return new DeleteResult(keys, false, 0);
        }
    }

    /// <summary>The outcome of one background delete; <c>Confirmed</c> orders its confirmation among LIST starts (<see cref="_order"/>).</summary>
    private sealed record DeleteResult(List<string> Keys, bool Succeeded, long Confirmed);

    /// <summary>A listing, with when it was asked for (it shows the inbox as of about then) and its place in <see cref="_order"/>.</summary>
    private readonly record struct Listing(IReadOnlyList<StoredObject> Objects, long Started, long Order);

    private async Task<Listing> ListAsync(CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        long order = Interlocked.Increment(ref _order);
        IReadOnlyList<StoredObject> objects = await _store.ListAsync(_inbox, _options.ListLimit, cancellationToken);
        _lastListDuration = _time.GetElapsedTime(started);
        return new Listing(objects, started, order);
    }

    private void DiscardNextListing()
    {
        if (_nextListing is { } listing)
        {
            _nextListing = null;
            _ = listing.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Forgets deletes confirmed before a listing began: neither it nor any later listing shows those keys.</summary>
    private void ForgetDeletedBefore(long listOrder)
    {
        if (_deletedAt.Count == 0)
        {
            return;
        }
        foreach ((string key, long confirmed) in _deletedAt)
        {
            if (confirmed < listOrder)
            {
                _deletedAt.Remove(key);
            }
        }
    }

    private void Reject(string key, RejectReason reason)
    {
        _metrics.ObjectRejected(reason);
        if (IsKeyMismatch(reason))
        {
            LogKeyMismatch(key, reason);
        }
        else if (_rejectLog.TryEnter(out long suppressed))
        {
            Log.ObjectRejected(_logger, key, MetricLabels.Of(reason), suppressed);
        }
    }

    private void StoreFailed(string operation, Exception ex)
    {
        if (_failureLog.TryEnter(out long suppressed))
        {
            Log.StoreFailed(_logger, operation, ex.Message, suppressed);
        }
    }

    public void Dispose() => _getSlots.Dispose();

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
