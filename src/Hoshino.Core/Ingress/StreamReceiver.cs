using System.Collections.Concurrent;
using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Transport;
using Hoshino.Tunnel;
using Microsoft.Extensions.Logging;
using Answer = Hoshino.Ingress.StreamFetcher.Answer;
using Outcome = Hoshino.Ingress.StreamFetcher.Outcome;

namespace Hoshino.Ingress;

/// <summary>
/// The transport v2 half of ingress (docs/adr/0010-transport-v2.md): reads each sender's stream by
/// name. Listings (from the pump's LIST loop) tell it of streams and names; the
/// <see cref="StreamLedger{TBody}"/> decides what to GET, deliver and delete; the
/// <see cref="ReplyExpectation"/> decides when a peer's next name is worth a probe (after this node
/// sent to it, around a regular peer's next object, in the hold after each object). This loop does
/// the I/O: GETs by name, concurrently; validation; writes to the TUN in each stream's order; then
/// deletes. Outside the expectation's windows it makes no requests at all: the idle doorbell is the
/// pump's. When more probes fall due at once than one LIST costs, it asks the pump for a LIST instead.
/// Its parts: <see cref="StreamListings{TBody}"/> (the listings handed in: screened, fed to the ledger),
/// <see cref="StreamFetcher"/> (GET and validate one name), <see cref="StreamDeletes"/>
/// (what is waiting for, or in, a delete), <see cref="InboxDeleter"/> (the delete itself).
/// </summary>
internal sealed partial class StreamReceiver
{
    private readonly ITunDevice _tun;
    private readonly HoshinoMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IngressOptions _options;
    private readonly Action<string, RejectReason> _reject;
    private readonly Action _requestListing;
    /// <summary>Loop only.</summary>
    private readonly StreamLedger<Bundle> _ledger;
    /// <summary>Loop only.</summary>
    private readonly ReplyExpectation _expectation;
    private readonly InboxDeleter _deleter;
    private readonly StreamFetcher _fetcher;
    /// <summary>Each sender's budget for junk, shared with the v1 path: charged for GETs of listed names.</summary>
    private readonly RejectLimiter _limiter;
    /// <summary>GETs in flight that took a token (loop only): its answer gives it back unless the object was junk.</summary>
    private readonly HashSet<StreamKey> _charged = [];
    private readonly DeletePacer _deletePacer;
    /// <summary>The listings handed in, and the names the latest one showed.</summary>
    private readonly StreamListings<Bundle> _listings;
    /// <summary>Per peer, this node's first send to it since the loop last looked: the base of an RTT sample.</summary>
    private readonly ConcurrentDictionary<Address16, DateTimeOffset> _sent = new();
    private readonly ConcurrentQueue<Answer> _answers = new();
    /// <summary>Senders with a v2 stream: their replies are probed by name, so a send to them needs no LIST linger. Written by the loop.</summary>
    private readonly StreamPeers _streamPeers;
    /// <summary>Names waiting for their delete, in the one in flight, or deleted after a listing began (loop only).</summary>
    private readonly StreamDeletes _deletes = new();
    private volatile TaskCompletionSource _wake = NewWake();
    private int _inFlight;
    /// <summary>A delete was started and its result not taken yet (loop only).</summary>
    private bool _deleteInFlight;
    private long _holesCounted;
    private long _lateCounted;

    /// <param name="tun">Where packets go.</param>
    /// <param name="store">Where the inbox is.</param>
    /// <param name="self">This node.</param>
    /// <param name="metrics">Counts packets, probes, holes, rejects.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The pump's logger.</param>
    /// <param name="options">Bounds (object size, packet age, sealing).</param>
    /// <param name="reject">Counts and logs (rate-limited) a refused object; any thread.</param>
    /// <param name="requestListing">Asks the pump to LIST the inbox soon; any thread.</param>
    /// <param name="storeFailed">Logs a store failure (rate-limited by the pump); any thread.</param>
    /// <param name="nextOrder">Stamps a delete's confirmation in the pump's sequence of LIST starts (see <see cref="Listed"/>); any thread.</param>
    /// <param name="limiter">Each sender's budget for junk, shared with the v1 path.</param>
    /// <param name="ledgerOptions">The ledger's bounds (defaults: ADR 0010).</param>
    /// <param name="expectationOptions">The probe windows (defaults: ADR 0010).</param>
    public StreamReceiver(ITunDevice tun, IPacketStore store, Address16 self, HoshinoMetrics metrics, TimeProvider time, ILogger logger,
        IngressOptions options, Action<string, RejectReason> reject, Action requestListing, Action<string, Exception> storeFailed,
        Func<long> nextOrder, RejectLimiter limiter, StreamLedgerOptions? ledgerOptions = null, ReplyExpectationOptions? expectationOptions = null)
    {
        _tun = tun;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _options = options;
        _reject = reject;
        _requestListing = requestListing;
        _limiter = limiter;
        _ledger = new StreamLedger<Bundle>(self, ledgerOptions ?? new StreamLedgerOptions { MaxClockSkew = options.MaxClockSkew });
        _streamPeers = new StreamPeers(_ledger.Options.MaxStreams);
        _expectation = new ReplyExpectation(expectationOptions ?? new ReplyExpectationOptions { HoldMaxInterval = options.PollMax });
        // Confirmations in the pump's order of LIST starts: a listing begun before one may still show what it deleted.
        _deleter = new InboxDeleter(store, metrics, nextOrder, storeFailed);
        _listings = new StreamListings<Bundle>(self, options, _deletes, _ledger, _streamPeers, reject);
        _fetcher = new StreamFetcher(store, self, time, options, storeFailed, _listings.Contains, Answered);
        _deletePacer = new DeletePacer(options.DeleteInterval, DeleteBatch);
    }

    /// <summary>A fetched, validated object: its body (decrypted, if sealed) and the packets in it.</summary>
    internal sealed record Bundle(byte[] Body, List<Range> Frames);

    internal StreamLedger<Bundle> Ledger => _ledger;
    internal ReplyExpectation Expectation => _expectation;
    internal int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// A listing showed these v2 names (already parsed; any order); it began at <paramref name="order"/>
    /// in the pump's sequence of LIST starts and delete confirmations. Any thread.
    /// </summary>
    public void Listed(IReadOnlyList<(StoredObject Item, StreamKey Key)> names, long order)
    {
        _listings.Add(names, order);
        Signal();
    }

    /// <summary>This node sent a packet to <paramref name="peer"/>: its reply may follow. Cheap; any thread.</summary>
    public void Sent(Address16 peer)
    {
        if (_sent.TryAdd(peer, _time.GetUtcNow()))
        {
            Signal();
        }
    }

    /// <summary>Whether <paramref name="peer"/> has sent this node a v2 stream: then its reply is found by name, not by LIST.</summary>
    public bool Knows(Address16 peer) => _streamPeers.Knows(peer);

    /// <summary>
    /// <paramref name="peer"/> just delivered a v1 object: it writes v1 now (restarted without v2,
    /// say), so replies from it are the LIST loop's to find again. Any thread.
    /// </summary>
    public void Forget(Address16 peer) => _streamPeers.Forget(peer);

    /// <summary>Runs until <paramref name="stoppingToken"/> fires; then lets started deletes finish (briefly).</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                DateTimeOffset? wake = Step(stoppingToken);
                await WaitAsync(wake, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await DrainAsync();
        }
    }

    /// <summary>
    /// Steps until nothing is in flight and nothing is waiting, at the current time (tests drive the
    /// loop with this and a fake clock; <see cref="RunAsync"/> is the same steps with waits between).
    /// </summary>
    internal async Task SettleAsync(CancellationToken cancellationToken)
    {
        for (int round = 0; round < 10_000; round++)
        {
            TaskCompletionSource wake = _wake;
            Step(cancellationToken);
            if (InFlight == 0 && _answers.IsEmpty && _listings.IsEmpty && _sent.IsEmpty)
            {
                await DrainAsync();
                return;
            }
            await wake.Task.WaitAsync(cancellationToken);
        }
        throw new InvalidOperationException("the stream receiver did not settle");
    }

    /// <summary>Takes in what happened, asks the ledger and the expectation what to do, and does it. Returns when to step again at the latest.</summary>
    private DateTimeOffset? Step(CancellationToken cancellationToken)
    {
        if (_wake.Task.IsCompleted)
        {
            _wake = NewWake(); // before draining: a signal after this point wakes the next wait
        }
        DateTimeOffset now = _time.GetUtcNow();
        Measure();
        _listings.Take(now);
        foreach (Address16 peer in _sent.Keys)
        {
            // Only peers with a stream: a v1 peer's reply is the LIST loop's to find, and its probes
            // would count toward the LIST that replaces many probes.
            if (_sent.TryRemove(peer, out DateTimeOffset at) && Knows(peer))
            {
                _expectation.Sent(peer, at);
            }
        }
        while (_answers.TryDequeue(out Answer answer))
        {
            Apply(answer, now);
        }

        ProbePlan plan = _expectation.Due(now);
        if (ReplyExpectation.ListIsCheaper(plan.Probes.Count))
        {
            _requestListing(); // one LIST sees every one of them, and streams nobody knew of
        }
        else
        {
            foreach (Address16 peer in plan.Probes)
            {
                _ledger.Probe(peer, now); // false: no stream of it known; the doorbell's HEAD covers a new one
            }
        }
        StreamDecisions<Bundle> decisions = _ledger.Next(now);
        Act(decisions, now, cancellationToken);
        _metrics.StreamCount = _ledger.StreamCount;
        return Earliest(Earliest(decisions.WakeAt, plan.WakeAt), _deleteInFlight ? null : _deletePacer.WakeAt(_deletes.Waiting));
    }

    /// <summary>
    /// Timings from what the node measures (ADR 0010): a probe every GET p50; reply windows no
    /// earlier than the store's round trip, 2 × (PUT + GET) p50; a hole waits
    /// min(packet age, max(20 ms, 4 × PUT p99)). Until measured, the options' defaults.
    /// </summary>
    private void Measure()
    {
        if (_metrics.Latency(StoreOperation.Get, 0.5) is { } get)
        {
            _expectation.Options.ProbeInterval = Clamp(get, TimeSpan.FromMilliseconds(1), _options.PollMax);
            if (_metrics.Latency(StoreOperation.Put, 0.5) is { } putP50)
            {
                _expectation.Options.StoreRoundTrip = 2 * (putP50 + get);
            }
        }
        if (_metrics.Latency(StoreOperation.Put, 0.99) is { } put)
        {
            TimeSpan bound = Clamp(put * 4, TimeSpan.FromMilliseconds(20), _options.MaxPacketAge);
            _ledger.Options.HoleBound = bound;
        }
    }

    private void Apply(Answer answer, DateTimeOffset now)
    {
        Interlocked.Decrement(ref _inFlight);
        if (_charged.Remove(answer.Key) && answer.Outcome != Outcome.Invalid)
        {
            _limiter.GiveBack(answer.Key.Source); // not junk: valid, gone, or not fetched
        }
        bool probe = !_listings.Contains(answer.Key);
        switch (answer.Outcome)
        {
            case Outcome.Found:
                if (probe)
                {
                    _metrics.StreamProbed(hit: true);
                }
                _ledger.Found(answer.Key, answer.Bundle!, answer.Size, now);
                break;
            case Outcome.Missing:
                if (probe)
                {
                    _metrics.StreamProbed(hit: false);
                }
                _ledger.Missing(answer.Key, now);
                break;
            case Outcome.Invalid:
                _reject(answer.Key.ToString(), answer.Reason);
                _ledger.Rejected(answer.Key, now);
                break;
            default:
                _ledger.Failed(answer.Key, now);
                break;
        }
    }

    /// <summary>Deliveries first (each stream's in order), then the deletes of what was written or refused, then the GETs.</summary>
    private void Act(StreamDecisions<Bundle> decisions, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (StreamDelivery<Bundle> delivery in decisions.Deliveries)
        {
            (int written, _) = TunDelivery.Write(_tun, _metrics, delivery.Body.Body, delivery.Body.Frames);
            _expectation.Arrived(delivery.Key.Source, now);
            _streamPeers.Remember(delivery.Key.Source);
            Log.StreamObjectWritten(_logger, delivery.Key.ToString(), written);
        }
        foreach (StreamRejection rejection in decisions.Rejects)
        {
            if (rejection.Reason == StreamReject.Duplicate)
            {
                _metrics.DuplicateSuppressed(); // delivered already; its delete failed or is in flight: delete again
            }
            else
            {
                _reject(rejection.Key.ToString(), ReasonOf(rejection.Reason));
            }
        }
        foreach (StreamKey key in decisions.Deletes)
        {
            _deletes.Add(key);
        }
        long holes = _ledger.HolesSkipped, late = _ledger.LateDeliveries;
        _metrics.HolesSkipped(holes - _holesCounted);
        _metrics.LateDelivered(late - _lateCounted);
        (_holesCounted, _lateCounted) = (holes, late);

        if (_deleteInFlight && _deleter.TakeCompleted() is { } done)
        {
            _deleteInFlight = false;
            _deletes.Ended(done);
        }
        if (!_deleteInFlight && _deletePacer.ShouldStart(_deletes.Waiting, now))
        {
            _deletePacer.Started(now);
            // One delete in flight; what is handled meanwhile goes in the next. Ledger order: after the writes above.
            _deleter.Start(_deletes.TakeWaiting(), cancellationToken);
            _deleteInFlight = true;
            _deleter.Completion.ContinueWith(static (_, self) => ((StreamReceiver)self!).Signal(), this,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        foreach (StreamKey key in decisions.Gets)
        {
            Interlocked.Increment(ref _inFlight);
            StartGet(key, now, cancellationToken);
        }
    }

    /// <summary>
    /// GETs <paramref name="key"/>, or, for a listed name whose sender's junk budget is spent
    /// (<see cref="RejectLimiter"/>), answers it at once as refused (<c>rate_limited</c>): the name is
    /// deleted unread and its number counts as handled. A listing can name thousands of junk
    /// objects; only listed names are charged, because probes and holes are this node's own
    /// guesses, bounded by the expectation and the hole bound, and cost their sender nothing.
    /// </summary>
    private void StartGet(StreamKey key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_listings.Contains(key))
        {
            if (!_limiter.TryFetch(key.Source, now))
            {
                Answered(new Answer(key, Outcome.Invalid, null, 0, RejectReason.RateLimited));
                return;
            }
            _charged.Add(key);
        }
        _ = _fetcher.FetchAsync(key, cancellationToken);
    }

    /// <summary>A fetch's answer, from its task: for the loop to apply.</summary>
    private void Answered(Answer answer)
    {
        _answers.Enqueue(answer);
        Signal();
    }

    internal static RejectReason ReasonOf(StreamReject reason) => reason switch
    {
        StreamReject.TooFarAhead => RejectReason.TooFarAhead,
        StreamReject.EpochTooNew => RejectReason.EpochTooNew,
        StreamReject.StaleEpoch => RejectReason.StaleEpoch,
        StreamReject.TooManyEpochs => RejectReason.TooManyEpochs,
        StreamReject.TooManyStreams => RejectReason.TooManyStreams,
        _ => RejectReason.Replay,
    };

    private async Task WaitAsync(DateTimeOffset? wakeAt, CancellationToken cancellationToken)
    {
        TaskCompletionSource wake = _wake;
        if (wake.Task.IsCompleted)
        {
            return;
        }
        // Nothing due: look again within a second anyway, for the ledger's housekeeping (retiring streams).
        TimeSpan wait = (wakeAt ?? _time.GetUtcNow() + TimeSpan.FromSeconds(1)) - _time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            return;
        }
        using var delay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAny(Task.Delay(wait, _time, delay.Token), wake.Task);
        await delay.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>At shutdown or when settled: starts what is left to delete and lets it finish (2 s at most).</summary>
    private async Task DrainAsync()
    {
        _deletes.Ended(await _deleter.TakeAsync());
        _deleteInFlight = false;
        if (_deletes.Waiting > 0)
        {
            using var tidy = new CancellationTokenSource(TimeSpan.FromSeconds(2), _time);
            _deleter.Start(_deletes.TakeWaiting(), tidy.Token);
            await _deleter.DrainAsync(TimeSpan.FromSeconds(2), _time);
            _deletes.Ended(await _deleter.TakeAsync());
        }
    }

    /// <summary>Names that start a delete at once, however soon after the previous one (DeleteObjects takes up to 1,000).</summary>
    private const int DeleteBatch = 256;

    private void Signal() => _wake.TrySetResult();

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is not { } x ? b : b is not { } y ? x : x < y ? x : y;

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;
}
