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
/// This type is the loop and its pacing (heartbeat, doorbell, pokes); the parts of a poll are
/// their own: <see cref="InboxLister"/> (LIST, one ahead), <see cref="InboxTriage"/> (what a listing
/// comes to), <see cref="InboxFetcher"/> (GET, validate, write), <see cref="InboxDeleter"/>, and
/// <see cref="StreamReceiver"/> for transport v2 names.
/// </summary>
public sealed partial class IngressPump : IDisposable
{
    private readonly IPacketStore _store;
    private readonly Address16 _self;
    private readonly string _inbox;
    /// <summary>This node's doorbell: the idle poll's HEAD, created on a 403 (ADR 0007).</summary>
    private readonly Doorbell _doorbell;
    private readonly HoshinoMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IngressOptions _options;
    private readonly Heartbeat _heartbeat;
    private readonly LogLimiter _givenUpLog;
    /// <summary>Delivered, recent, deleting and given-up keys: the protocol state that spans polls (loop only).</summary>
    private readonly InboxLedger _ledger;
    /// <summary>Counts and logs what both paths refuse, and store failures.</summary>
    private readonly IngressReports _reports;
    /// <summary>LISTs the inbox, the next one possibly ahead; orders LIST starts and delete confirmations.</summary>
    private readonly InboxLister _lister;
    /// <summary>Sorts each listing into what to fetch, delete, and hand to the stream receiver.</summary>
    private readonly InboxTriage _triage;
    /// <summary>The v1 GETs, validation and writes of one poll.</summary>
    private readonly InboxFetcher _fetcher;
    /// <summary>Whether an idle node answers a ring with a LIST (loop only).</summary>
    private readonly RingBackoff _rings;
    /// <summary>The delete in flight, one at a time, in the background.</summary>
    private readonly InboxDeleter _deleter;
    private volatile TaskCompletionSource _wake = NewWake();
    /// <summary>The doorbell's tag as the last complete LIST saw it (null: no doorbell); valid once a LIST succeeded.</summary>
    private string? _doorbellTag;
    private bool _listedOnce;
    private long _lastListTimestamp;
    private long _lastWork;
    /// <summary>The transport v2 path: streams read by name (its own loop; this one hands it listings).</summary>
    private readonly StreamReceiver _streams;
    /// <summary>1 when the stream receiver asked for a LIST (more probes due than one LIST costs).</summary>
    private int _listRequested;
    /// <summary>Whether the last listing held v2 names: a ring that found only those still delivered.</summary>
    private bool _listedStreams;
    /// <summary>Packets written to the kernel when the last ring was answered (see <see cref="PollAsync"/>).</summary>
    private long _writtenAtLastRing;

    public IngressPump(ITunDevice tun, IPacketStore store, IPAddress self, HoshinoMetrics metrics, TimeProvider time,
        ILogger<IngressPump> logger, IngressOptions options)
    {
        _store = store;
        _self = Address16.From(self);
        _inbox = ObjectKey.InboxOf(_self);
        _doorbell = new Doorbell(store, _self, time, metrics);
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _options = options;
        _heartbeat = new Heartbeat(options.PollMin, options.PollMax, options.Linger, time);
        _givenUpLog = new LogLimiter(time, TimeSpan.FromSeconds(60));
        _reports = new IngressReports(metrics, time, logger, options);
        _ledger = new InboxLedger(options.MaxPacketAge, options.ListLimit);
        _rings = new RingBackoff(options.PollMax, options.ListMax);
        _lister = new InboxLister(store, _inbox, options.ListLimit, time);
        _deleter = new InboxDeleter(store, metrics, _lister.NextOrder, _reports.StoreFailed);
        metrics.HeartbeatInterval = _heartbeat.Interval;
        // One junk budget per sender for both paths: junk written both ways drains one bucket.
        var limiter = new RejectLimiter();
        _streams = new StreamReceiver(tun, store, _self, metrics, time, logger, options, _reports.Reject, RequestListing, _reports.StoreFailed,
            _lister.NextOrder, limiter);
        _triage = new InboxTriage(_ledger, metrics, _reports, _self, options, Node.AddressLease.KeyOf(_self), _doorbell.Key);
        _fetcher = new InboxFetcher(tun, store, _self, metrics, logger, options, _ledger, _reports, _streams.Forget, limiter);
    }

    /// <summary>The transport v2 receiver (tests step it directly).</summary>
    internal StreamReceiver Streams => _streams;

    /// <summary>The stream receiver's call: LIST at the next poll, which starts now.</summary>
    private void RequestListing()
    {
        Volatile.Write(ref _listRequested, 1);
        _wake.TrySetResult();
    }

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
                if (outcome == PollOutcome.Work)
                {
                    _lastWork = _time.GetTimestamp();
                }
                TimeSpan wait = Pace(outcome, _heartbeat.Next(outcome), _lister.LastDuration, _time.GetElapsedTime(_lastWork));
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
            await _lister.DrainAsync();
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
        _lister.DiscardAhead(); // idle now: by the next LIST it would be stale
        DoorbellCheck check = await _doorbell.CheckAsync(_doorbellTag, _options.ListMax, cancellationToken);
        switch (check.State)
        {
            case DoorbellState.Created:
                if (check.Error is { } createFailure)
                {
                    _reports.StoreFailed("creating the doorbell (s3:PutObject on KEYPREFIX{node}/doorbell, which deploy/terraform grants; idle polls fall back to LIST)", createFailure);
                }
                return await PollOnceAsync(cancellationToken);
            case DoorbellState.Refused:
                _reports.StoreFailed("checking the doorbell", check.Error!);
                return await PollOnceAsync(cancellationToken);
            case DoorbellState.Failed:
                _reports.StoreFailed("checking the doorbell", check.Error!);
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
            (listing, listStarted, listOrder) = await _lister.ListAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _reports.StoreFailed("listing", ex);
            return PollOutcome.Congested;
        }
        _lastListTimestamp = listStarted;
        _listedOnce = true;
        _listedStreams = false;
        DateTimeOffset now = _time.GetUtcNow();
        Triage triage = _triage.Sort(listing, listOrder, now);
        _doorbellTag = triage.DoorbellTag;
        if (listing.Count == 0)
        {
            return PollOutcome.Idle;
        }
        if (triage.StreamNames.Count > 0)
        {
            _listedStreams = true;
            _streams.Listed(triage.StreamNames, listOrder);
        }
        if (triage.Wanted.Count > 0 && listing.Count < _options.ListLimit)
        {
            // More is likely on its way: list again while these GETs run. Keys handled meanwhile are
            // in the ledger by the time that listing is read. Not with a backlog past one page: that
            // listing would be the same page again, all in flight.
            _lister.StartAhead(cancellationToken);
        }

        Delivery delivery = await _fetcher.DeliverAsync(triage.Wanted, triage.ToDelete, now, cancellationToken);
        await StartDeleteAsync(triage.ToDelete, cancellationToken);
        if (delivery.TunRefused || (delivery.StoreFailures > 0 && delivery.Fetched == 0))
        {
            return PollOutcome.Congested; // the kernel or the store cannot keep up; one bad object alone is not that
        }
        // Only delivered packets are work: junk, however much, does not keep the node polling fast.
        return delivery.Packets > 0 ? PollOutcome.Work : PollOutcome.Idle;
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

    public void Dispose()
    {
    }

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
