using System.Net;
using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Transport;
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
    /// <summary>This node's doorbell: the idle poll's HEAD, created on a 403 (ADR 0007).</summary>
    private readonly Doorbell _doorbell;
    private readonly HoshinoMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IngressOptions _options;
    private readonly Heartbeat _heartbeat;
    private readonly LogLimiter _failureLog;
    private readonly LogLimiter _rejectLog;
    private readonly LogLimiter _givenUpLog;
    /// <summary>Delivered, recent, deleting and given-up keys: the protocol state that spans polls (loop only).</summary>
    private readonly InboxLedger _ledger;
    /// <summary>What each sender may make this node spend on junk (loop only).</summary>
    private readonly RejectLimiter _limiter = new();
    /// <summary>Whether an idle node answers a ring with a LIST (loop only).</summary>
    private readonly RingBackoff _rings;
    /// <summary>The delete in flight, one at a time, in the background.</summary>
    private readonly InboxDeleter _deleter;
    private volatile TaskCompletionSource _wake = NewWake();
    /// <summary>The doorbell's tag as the last complete LIST saw it (null: no doorbell); valid once a LIST succeeded.</summary>
    private string? _doorbellTag;
    private bool _listedOnce;
    private long _lastListTimestamp;
    /// <summary>
    /// The next LIST, started while the GETs of the last poll that found work were in flight: under
    /// load the loop then takes max(LIST, GET + write) per cycle instead of their sum.
    /// </summary>
    private Task<Listing>? _nextListing;
    /// <summary>Orders LIST starts and delete confirmations, which happen on different tasks.</summary>
    private long _order;
    /// <summary>How long the last LIST took; paces empty polls (<see cref="Pace"/>).</summary>
    private TimeSpan _lastListDuration;
    private long _lastWork;
    /// <summary>The transport v2 path: streams read by name (its own loop; this one hands it listings).</summary>
    private readonly StreamReceiver _streams;
    /// <summary>1 when the stream receiver asked for a LIST (more probes due than one LIST costs).</summary>
    private int _listRequested;
    /// <summary>Whether the last listing held v2 names: a ring that found only those still delivered.</summary>
    private bool _listedStreams;
    /// <summary>Packets written to the kernel when the last ring was answered (see <see cref="PollAsync"/>).</summary>
    private long _writtenAtLastRing;

    // wentIdle: called on the polling loop when the heartbeat reaches its slowest interval: traffic
    // has stopped, a good moment for housekeeping that would get in the way of it (the host trims memory).
    public IngressPump(ITunDevice tun, IPacketStore store, IPAddress self, HoshinoMetrics metrics, TimeProvider time,
        ILogger<IngressPump> logger, IngressOptions options, Action? wentIdle = null)
    {
        _wentIdle = wentIdle;
        _tun = tun;
        _store = store;
        _self = Address16.From(self);
        _inbox = ObjectKey.InboxOf(_self);
        _leaseKey = Node.AddressLease.KeyOf(_self);
        _doorbell = new Doorbell(store, _self, time, metrics);
        _doorbellKey = _doorbell.Key;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _options = options;
        _heartbeat = new Heartbeat(options.PollMin, options.PollMax, options.Linger, time);
        _failureLog = new LogLimiter(time, TimeSpan.FromSeconds(10));
        _rejectLog = new LogLimiter(time, TimeSpan.FromSeconds(10));
        _givenUpLog = new LogLimiter(time, TimeSpan.FromSeconds(60));
        _keyLogs = NewKeyLogs(time);
        _ledger = new InboxLedger(options.MaxPacketAge, options.ListLimit);
        _rings = new RingBackoff(options.PollMax, options.ListMax);
        _deleter = new InboxDeleter(store, metrics, () => Interlocked.Increment(ref _order), StoreFailed);
        metrics.HeartbeatInterval = _heartbeat.Interval;
        _streams = new StreamReceiver(tun, store, _self, metrics, time, logger, options, Reject, RequestListing, StoreFailed,
            () => Interlocked.Increment(ref _order));
    }

    /// <summary>The transport v2 receiver (tests step it directly).</summary>
    internal StreamReceiver Streams => _streams;

    /// <summary>The stream receiver's call: LIST at the next poll, which starts now.</summary>
    private void RequestListing()
    {
        Volatile.Write(ref _listRequested, 1);
        _wake.TrySetResult();
    }

    private readonly Action? _wentIdle;

    /// <summary>
    /// Traffic is expected soon (this node just sent a packet): poll fast again now instead of
    /// finishing a long idle wait. Cheap; any thread.
    /// </summary>
    /// <param name="peer">Where the packet went, so its reply is expected from there.</param>
    public void Poke(Address16 peer)
    {
        _streams.Sent(peer);
        if (_streams.Knows(peer))
        {
            return; // its reply comes by name: probed in the reply window, not looked for by a LIST linger
        }
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
        Task streams = _streams.RunAsync(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (streams.IsFaulted)
                {
                    await streams; // a failed loop stops the node rather than running half deaf
                }
                PollOutcome outcome = await PollAsync(stoppingToken);
                bool wasIdle = _heartbeat.Interval >= _options.PollMax;
                if (outcome == PollOutcome.Work)
                {
                    _lastWork = _time.GetTimestamp();
                }
                TimeSpan wait = Pace(outcome, _heartbeat.Next(outcome), _lastListDuration, _time.GetElapsedTime(_lastWork));
                if (!wasIdle && _heartbeat.Interval >= _options.PollMax)
                {
                    _wentIdle?.Invoke();
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
            await streams.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (_nextListing is { } listing)
            {
                await ((Task)listing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            // Let a delete already sent finish, so what was delivered is not delivered again after a restart.
            await _deleter.DrainAsync(TimeSpan.FromSeconds(2), _time);
            // Leave nothing behind: the next start lists before it trusts the doorbell (DELETE is free on AWS).
            await _doorbell.RemoveAsync(TimeSpan.FromSeconds(2));
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
            || _time.GetElapsedTime(_lastListTimestamp) >= _options.ListMax || Interlocked.Exchange(ref _listRequested, 0) == 1)
        {
            return await PollOnceAsync(cancellationToken);
        }
        DiscardNextListing(); // idle now: by the next LIST it would be stale
        DoorbellCheck check = await _doorbell.CheckAsync(_doorbellTag, _options.ListMax, cancellationToken);
        switch (check.State)
        {
            case DoorbellState.Created:
                if (check.Error is { } createFailure)
                {
                    StoreFailed("creating the doorbell (s3:PutObject on KEYPREFIX{node}/doorbell, which deploy/terraform grants; idle polls fall back to LIST)", createFailure);
                }
                return await PollOnceAsync(cancellationToken);
            case DoorbellState.Refused:
                StoreFailed("checking the doorbell", check.Error!);
                return await PollOnceAsync(cancellationToken);
            case DoorbellState.Failed:
                StoreFailed("checking the doorbell", check.Error!);
                return PollOutcome.Congested;
            case DoorbellState.Quiet:
                return PollOutcome.Idle;
        }
        string? tag = check.Tag;
        // Rung since the last LIST. A sender rings after its bundle is stored, so the LIST finds it.
        // No Poke: a ring buys one LIST, not the linger's worth of them, and only while rings
        // deliver (RingBackoff): ringing cannot keep a node hot.
        if (!_rings.Answers(_time.GetUtcNow()))
        {
            return PollOutcome.Idle;
        }
        _metrics.DoorbellHeard();
        Log.DoorbellHeard(_logger, LogText.Escape(tag));
        PollOutcome outcome = await PollOnceAsync(cancellationToken);
        if (outcome != PollOutcome.Congested)
        {
            // A ring is also worth its LIST when packets reached the kernel since the last one: a
            // probe by name (v2) may have read the rung-for object before this LIST, which then
            // finds nothing. Counting that ring useless made rings go unheard for up to --list-max
            // while a peer's packets kept coming (50 nodes all exchanging). Junk rings still back
            // off whenever nothing real arrives.
            long written = _metrics.Packets(Direction.Ingress);
            _rings.Answered(outcome == PollOutcome.Work || _listedStreams || written > _writtenAtLastRing, _time.GetUtcNow());
            _writtenAtLastRing = written;
        }
        return outcome;
    }

    /// <summary>One LIST → GET → write → DELETE cycle.</summary>
    internal async Task<PollOutcome> PollOnceAsync(CancellationToken cancellationToken)
    {
        if (_deleter.TakeCompleted() is { } finished)
        {
            CollectDelete(finished);
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
        _listedStreams = false;
        _ledger.ListingSeen(listing);
        if (listing.Count == 0)
        {
            return PollOutcome.Idle;
        }
        // Each sender's v1 objects are written in key order, and not every store lists in order
        // (S3 Express One Zone directory buckets do not): sort here, not by trusting the store.
        listing = InKeyOrder(listing);
        var streamNames = new List<(StoredObject, StreamKey)>();

        var toDelete = new List<string>();
        var wanted = new List<Wanted>();
        DateTimeOffset now = _time.GetUtcNow();
        _ledger.ForgetExpired(now);
        long pollBytes = 0;
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
            if (StreamKey.TryParse(item.Key, out StreamKey? streamKey))
            {
                streamNames.Add((item, streamKey.Value)); // v2: the stream receiver reads it by name
                continue;
            }
            switch (_ledger.Classify(item.Key, listOrder))
            {
                case InboxLedger.Verdict.Skip:
                    continue; // handled; its delete is in flight, took effect after this listing began, or was given up
                case InboxLedger.Verdict.DeleteAgain:
                    _metrics.DuplicateSuppressed(); // written already, but its delete failed: delete again, never write again
                    toDelete.Add(item.Key);
                    continue;
                case InboxLedger.Verdict.Replay:
                    Reject(item.Key, RejectReason.Replay);
                    toDelete.Add(item.Key);
                    continue;
            }
            RejectReason reason = KeyScreen.Screen(item, now, _self, _options, out ObjectKey parsed);
            if (reason != RejectReason.None)
            {
                Reject(item.Key, reason);
                toDelete.Add(item.Key);
                continue;
            }
            if (pollBytes > 0 && pollBytes + item.Size > _options.MaxBytesPerPoll)
            {
                continue; // enough for one poll: the next one takes the rest
            }
            pollBytes += item.Size;
            wanted.Add(new Wanted(parsed, item.Key, item.Size));
        }

        _ledger.ForgetDeletedBefore(listOrder);
        if (streamNames.Count > 0)
        {
            _listedStreams = true;
            _streams.Listed(streamNames, listOrder);
        }
        if (wanted.Count > 0 && listing.Count < _options.ListLimit)
        {
            // More is likely on its way: list again while these GETs run. Keys handled meanwhile are
            // in the ledger by the time that listing is read. Not with a backlog past one page: that
            // listing would be the same page again, all in flight.
            _nextListing = ListAsync(cancellationToken);
        }

        Delivery delivery = await DeliverAsync(wanted, toDelete, now, cancellationToken);
        await StartDeleteAsync(toDelete, cancellationToken);
        if (delivery.TunRefused || (delivery.StoreFailures > 0 && delivery.Fetched == 0))
        {
            return PollOutcome.Congested; // the kernel or the store cannot keep up; one bad object alone is not that
        }
        // Only delivered packets are work: junk, however much, does not keep the node polling fast.
        return delivery.Packets > 0 ? PollOutcome.Work : PollOutcome.Idle;
    }

    private static IReadOnlyList<StoredObject> InKeyOrder(IReadOnlyList<StoredObject> listing)
    {
        for (int i = 1; i < listing.Count; i++)
        {
            if (string.CompareOrdinal(listing[i - 1].Key, listing[i].Key) > 0)
            {
                return [.. listing.OrderBy(o => o.Key, StringComparer.Ordinal)];
            }
        }
        return listing;
    }

    /// <summary>An object the listing offered that passed screening: fetch it.</summary>
    private readonly record struct Wanted(ObjectKey Key, string Name, long Size);

    /// <summary>What one poll's fetching and writing came to.</summary>
    private readonly record struct Delivery(int Packets, int Fetched, int StoreFailures, bool TunRefused);

    /// <summary>
    /// Fetches <paramref name="wanted"/> in a window ahead of the writer (at most
    /// <see cref="IngressOptions.MaxConcurrentGets"/> GETs and <see cref="IngressOptions.MaxBytesInFlight"/>
    /// listed bytes), writes each object's packets in listing order and lets go of its body before
    /// the next: memory stays bounded however long the inbox. Adds every handled key to
    /// <paramref name="toDelete"/>; an object whose GET failed transiently stays for the next poll.
    /// </summary>
    private async Task<Delivery> DeliverAsync(List<Wanted> wanted, List<string> toDelete, DateTimeOffset now, CancellationToken cancellationToken)
    {
        int packets = 0, fetched = 0, failures = 0;
        bool tunRefused = false;
        var window = new Queue<(Wanted Object, Task<byte[]?> Body)>();
        long windowBytes = 0;
        int next = 0;
        var frames = new List<Range>();
        try
        {
            while (next < wanted.Count || window.Count > 0)
            {
                while (next < wanted.Count && window.Count < _options.MaxConcurrentGets
                    && (window.Count == 0 || windowBytes + wanted[next].Size <= _options.MaxBytesInFlight))
                {
                    Wanted start = wanted[next++];
                    if (!_limiter.TryFetch(start.Key.Source, now))
                    {
                        Reject(start.Name, RejectReason.RateLimited); // its sender's objects keep failing: not worth a GET now
                        toDelete.Add(start.Name);
                        continue;
                    }
                    window.Enqueue((start, _store.GetAsync(start.Name, _options.MaxObjectBytes, cancellationToken)));
                    windowBytes += start.Size;
                }
                if (window.Count == 0)
                {
                    continue;
                }
                (Wanted item, Task<byte[]?> fetch) = window.Dequeue();
                windowBytes -= item.Size;
                byte[]? body;
                try
                {
                    body = await fetch;
                }
                catch (PacketStoreException ex) when (ex.Kind is StoreErrorKind.TooLarge or StoreErrorKind.Unreadable)
                {
                    // Too large, archived, or encrypted with a key we lack: retrying will not
                    // change it, and leaving it would have every later poll stumble over it again.
                    Reject(item.Name, ex.Kind == StoreErrorKind.TooLarge ? RejectReason.TooLarge : RejectReason.Unfetchable);
                    toDelete.Add(item.Name);
                    continue;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // Left in place; the next poll tries again until it is too old (MaxPacketAge) and deleted unread.
                    StoreFailed("fetching " + LogText.Escape(item.Name), ex);
                    failures++;
                    continue;
                }
                fetched++;
                if (body is null)
                {
                    continue; // gone since the listing
                }
                // With a network key, a sealed body is decrypted in place: the frames then point at plaintext in body.
                RejectReason reason = TunDelivery.Open(body, item.Name, item.Key.Source, _self, _options, frames);
                if (reason != RejectReason.None)
                {
                    Reject(item.Name, reason); // its GET's token is not given back (RejectLimiter)
                    toDelete.Add(item.Name);
                    continue;
                }
                (int written, bool refused) = TunDelivery.Write(_tun, _metrics, body, frames);
                tunRefused |= refused;
                packets += written;
                _limiter.Delivered(item.Key.Source);
                _streams.Forget(item.Key.Source); // a v1 writer: its replies are found by LIST, so a send to it lingers
                _ledger.Delivered(item.Name, item.Key.Id.Time);
                toDelete.Add(item.Name);
                Log.BundleWritten(_logger, item.Name, written);
            }
        }
        finally
        {
            // Cancelled mid-window: observe the GETs still running so none faults unobserved.
            while (window.TryDequeue(out (Wanted Object, Task<byte[]?> Body) rest))
            {
                await ((Task)rest.Body).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        return new Delivery(packets, fetched, failures, tunRefused);
    }

    /// <summary>
    /// Deletes in the background so the next LIST need not wait for it; one delete in flight at a
    /// time. Keys being deleted are skipped by the next listing instead of written again.
    /// </summary>
    private async Task StartDeleteAsync(List<string> keys, CancellationToken cancellationToken)
    {
        CollectDelete(await _deleter.TakeAsync());
        if (keys.Count > 0)
        {
            _ledger.DeleteStarted(keys);
            _deleter.Start(keys, cancellationToken);
        }
    }

    /// <summary>Takes in the outcome of a finished delete. Loop thread only.</summary>
    private void CollectDelete(DeleteResult result)
    {
        if (result.Keys.Count == 0)
        {
            return;
        }
        // Failed keys stay as they were: delivered ones are listed again, deleted again, not written again.
        IReadOnlyList<string> givenUp = _ledger.DeleteEnded(result.Deleted, result.Confirmed, result.Refused);
        if (givenUp.Count > 0)
        {
            _metrics.DeletesGivenUp(givenUp.Count);
            if (_givenUpLog.TryEnter(out long suppressed))
            {
                Log.DeleteGivenUp(_logger, LogText.Escape(givenUp[0]), givenUp.Count, InboxLedger.MaxDeleteRefusals, suppressed);
            }
        }
    }

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

    private void Reject(string key, RejectReason reason)
    {
        _metrics.ObjectRejected(reason);
        if (IsKeyMismatch(reason))
        {
            LogKeyMismatch(LogText.Escape(key), reason);
        }
        else if (_rejectLog.TryEnter(out long suppressed))
        {
            Log.ObjectRejected(_logger, LogText.Escape(key), MetricLabels.Of(reason), suppressed);
        }
    }

    private void StoreFailed(string operation, Exception ex)
    {
        if (_failureLog.TryEnter(out long suppressed))
        {
            Log.StoreFailed(_logger, operation, ex.Message, suppressed);
        }
    }

    public void Dispose()
    {
    }

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
