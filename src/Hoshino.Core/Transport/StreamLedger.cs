using Hoshino.Packets;

namespace Hoshino.Transport;

/// <summary>
/// The receiver's side of transport v2 for one inbox (docs/adr/0010-transport-v2.md): which streams
/// exist and where each one's cursor is, which names to GET next (listed ones, the hole a stream's
/// delivery waits for, and a few past the end of a flowing or probed stream), what to deliver now
/// and in which order, when a hole has waited long enough to be skipped, what to delete and what to
/// refuse. Events go in (<see cref="Listed"/>, <see cref="Found"/>, <see cref="Missing"/>,
/// <see cref="Failed"/>, <see cref="Rejected"/>, <see cref="Probe"/>); <see cref="Next"/> says what
/// to do. Pure: no store, no clock (times are arguments), no I/O; the body type is the caller's.
/// Not thread-safe: the polling loop owns it.
/// </summary>
/// <remarks>
/// Contracts. Keys handed in are for this inbox and screened by the caller (destination, source
/// inside the network and not this node, listed size), as v1 keys are. Every name in
/// <see cref="StreamDecisions{TBody}.Gets"/> is answered exactly once by Found, Missing, Failed or
/// Rejected. Bounds: streams (<see cref="StreamLedgerOptions.MaxStreams"/>, per sender
/// <see cref="StreamLedgerOptions.MaxEpochsPerSource"/>), known names, GETs in flight and buffered
/// objects and bytes are each capped; a fetched object is delivered (or dropped with its stream) at
/// most <see cref="StreamLedgerOptions.HoleBound"/> after it was fetched, whatever is missing before
/// it, provided <see cref="Next"/> is called by each <see cref="StreamDecisions{TBody}.WakeAt"/>.
/// Nothing is delivered twice while its stream is remembered: a number below a stream's cursor is
/// delivered only if it was skipped, and only once.
/// </remarks>
internal sealed partial class StreamLedger<TBody>
{
    /// <summary>Sequence numbers at or past this are refused (<see cref="StreamReject.TooFarAhead"/>): <see cref="StreamKey.SequenceLimit"/>.</summary>
    public const long SequenceLimit = StreamKey.SequenceLimit;

    private readonly Address16 _self;
    private readonly StreamLedgerOptions _options;
    private readonly Dictionary<StreamId, InboundStream<TBody>> _streams = [];
    private readonly Dictionary<Address16, List<InboundStream<TBody>>> _bySource = [];
    /// <summary>Per sender, its newest epoch and when it appeared: older epochs appearing long after are stale.</summary>
    private readonly Dictionary<Address16, (Ulid Epoch, DateTimeOffset Seen)> _newest = [];
    /// <summary>Streams with slots, a probe asked for, or flowing: the only ones <see cref="Next"/> looks at.</summary>
    private readonly HashSet<InboundStream<TBody>> _busy = [];
    /// <summary>Retired streams, longest-retired first: the first displaced when the ledger is full.</summary>
    private readonly LinkedList<InboundStream<TBody>> _retired = new();
    private readonly HashSet<StreamKey> _inFlight = [];
    private List<StreamDelivery<TBody>> _deliveries = [];
    private List<StreamKey> _deletes = [];
    private List<StreamRejection> _rejects = [];
    private int _known;
    private int _buffered;
    private long _bufferedBytes;
    private int _rotation;
    private DateTimeOffset _lastHousekeeping = DateTimeOffset.MinValue;

    public StreamLedger(Address16 self, StreamLedgerOptions? options = null)
    {
        _self = self;
        _options = options ?? new StreamLedgerOptions();
    }

    public StreamLedgerOptions Options => _options;
    public int StreamCount => _streams.Count;
    public int LiveStreamCount => _streams.Count - _retired.Count;
    public int KnownCount => _known;
    public int InFlightCount => _inFlight.Count;
    public int BufferedCount => _buffered;
    public long BufferedBytes => _bufferedBytes;
    public int SlotCount => _streams.Values.Sum(s => s.Slots.Count);
    /// <summary>Numbers skipped as holes (each counted once).</summary>
    public long HolesSkipped { get; private set; }
    /// <summary>Skipped numbers delivered after all, when they turned up.</summary>
    public long LateDeliveries { get; private set; }

    /// <summary>The cursor of <paramref name="stream"/>, or null when it is not remembered.</summary>
    public long? NextOf(StreamId stream) => _streams.TryGetValue(stream, out InboundStream<TBody>? s) ? s.Next : null;

    /// <summary>A listing showed these names (in any order: S3 Express lists unordered).</summary>
    public void Listed(IEnumerable<StreamKey> keys, DateTimeOffset now)
    {
        Dictionary<StreamId, List<StreamKey>>? fresh = null;
        foreach (StreamKey key in keys)
        {
            if (key.Destination != _self)
            {
                continue; // the caller screens destinations; nothing to remember about another inbox
            }
            if (key.Sequence >= SequenceLimit)
            {
                Reject(key, StreamReject.TooFarAhead);
            }
            else if (_streams.TryGetValue(key.Stream, out InboundStream<TBody>? stream))
            {
                Offer(stream, key, now);
            }
            else
            {
                fresh ??= [];
                if (!fresh.TryGetValue(key.Stream, out List<StreamKey>? list))
                {
                    fresh[key.Stream] = list = [];
                }
                list.Add(key);
            }
        }
        // Newest epochs first, so that a sender with more epochs than it may keep loses its oldest,
        // and a listing of thousands of them costs one admission each, not an eviction each.
        foreach ((StreamId id, List<StreamKey> list) in (fresh ?? []).OrderByDescending(p => p.Key))
        {
            InboundStream<TBody>? stream = Admit(id, list.Min(k => k.Sequence), now, out StreamReject reason);
            foreach (StreamKey key in list)
            {
                if (stream is null || !_streams.ContainsKey(id))
                {
                    Reject(key, reason);
                }
                else
                {
                    Offer(stream, key, now);
                }
            }
        }
    }

    /// <summary>A GET returned <paramref name="body"/> (<paramref name="size"/> bytes), validated by the caller.</summary>
    public void Found(StreamKey key, TBody body, long size, DateTimeOffset now)
    {
        _inFlight.Remove(key);
        if (Arrived(key, now) is not { } stream)
        {
            return;
        }
        stream.Slots.TryGetValue(key.Sequence, out InboundSlot<TBody>? slot);
        switch (stream.Window!.Check(key.Sequence))
        {
            case ReplayWindow.Mark.Skipped:
                RemoveSlot(stream, key.Sequence);
                stream.Window.TakeLate(key.Sequence);
                LateDeliveries++;
                Deliver(key, body);
                return;
            case ReplayWindow.Mark.Ahead when slot is { State: SlotState.Ready }:
                return; // a second answer for the same object
            case ReplayWindow.Mark.Ahead:
                bool speculative = slot is { Kind: SlotKind.Ahead };
                Buffer(stream, key.Sequence, slot, body, size, rejected: false, now);
                if (speculative)
                {
                    // The name after the last one known was there: data is flowing. Read further
                    // ahead only on a run of finds, so a lone packet (a ping) costs one miss, not two.
                    stream.Ahead = stream.Flowing ? Math.Min(stream.Ahead * 2, _options.MaxAhead) : stream.Ahead;
                    stream.Flowing = true;
                }
                return;
            default:
                RemoveSlot(stream, key.Sequence);
                Reject(key, stream.Window.Check(key.Sequence) == ReplayWindow.Mark.Handled ? StreamReject.Duplicate : StreamReject.Replay);
                return;
        }
    }

    /// <summary>The object fetched was invalid (the caller counts why): it is deleted, and its number counts as handled.</summary>
    public void Rejected(StreamKey key, DateTimeOffset now)
    {
        _inFlight.Remove(key);
        _deletes.Add(key);
        if (!_streams.TryGetValue(key.Stream, out InboundStream<TBody>? stream) || stream.IsRetired)
        {
            return;
        }
        stream.Slots.TryGetValue(key.Sequence, out InboundSlot<TBody>? slot);
        ReplayWindow.Mark mark = stream.Window!.Check(key.Sequence);
        if (mark == ReplayWindow.Mark.Ahead && key.Sequence - stream.Next < _options.FarAhead && slot?.State != SlotState.Ready)
        {
            Buffer(stream, key.Sequence, slot, default, 0, rejected: true, now);
            return;
        }
        stream.Window.TakeLate(key.Sequence);
        if (slot?.State != SlotState.Ready)
        {
            RemoveSlot(stream, key.Sequence);
        }
    }

    /// <summary>A GET found no object (404, or 403 under the least-privilege policy): nothing yet.</summary>
    public void Missing(StreamKey key, DateTimeOffset now) => Unanswered(key, now, failed: false);

    /// <summary>A GET failed for a reason that may pass.</summary>
    public void Failed(StreamKey key, DateTimeOffset now) => Unanswered(key, now, failed: true);

    /// <summary>
    /// The polling policy expects an object from <paramref name="source"/>: GET the next name of its
    /// newest stream. False when no stream of it is known (the cheapest request that can see a new
    /// stream is then the doorbell's HEAD, or a LIST).
    /// </summary>
    public bool Probe(Address16 source, DateTimeOffset now)
    {
        if (!_bySource.TryGetValue(source, out List<InboundStream<TBody>>? streams))
        {
            return false;
        }
        InboundStream<TBody> newest = streams.MaxBy(s => s.Id.Epoch)!;
        if (newest.IsRetired)
        {
            Revive(newest);
        }
        newest.ProbeWanted = true;
        _busy.Add(newest);
        return true;
    }

    /// <summary>What to do now: deliveries in order, holes past their bound skipped, GETs to start, deletes, rejects.</summary>
    public StreamDecisions<TBody> Next(DateTimeOffset now)
    {
        DateTimeOffset? wake = null;
        List<InboundStream<TBody>> busy = [.. _busy];
        foreach (InboundStream<TBody> stream in busy)
        {
            Release(stream, now, ref wake);
        }
        List<StreamKey> gets = [];
        int budget = _options.MaxGetsInFlight - _inFlight.Count;
        if (budget > 0 && _buffered < _options.MaxBuffered && _bufferedBytes < _options.MaxBufferedBytes && busy.Count > 0)
        {
            // Round robin, starting one stream further each time: no stream starves the others.
            int start = _rotation++ % busy.Count;
            List<(InboundStream<TBody> Stream, List<(long Sequence, SlotKind Kind)> Wanted)> plans =
                [.. busy.Skip(start).Concat(busy.Take(start)).Select(s => (s, Candidates(s, budget, now, ref wake)))];
            for (int round = 0; budget > 0; round++)
            {
                bool any = false;
                foreach ((InboundStream<TBody> stream, List<(long Sequence, SlotKind Kind)> wanted) in plans)
                {
                    if (round < wanted.Count && budget > 0)
                    {
                        Emit(stream, wanted[round].Sequence, wanted[round].Kind, gets);
                        budget--;
                        any = true;
                    }
                }
                if (!any)
                {
                    break;
                }
            }
        }
        foreach (InboundStream<TBody> stream in busy)
        {
            if (stream.Slots.Count == 0 && !stream.ProbeWanted && !stream.Flowing)
            {
                _busy.Remove(stream);
            }
        }
        Housekeeping(now);
        var decisions = new StreamDecisions<TBody>(gets, _deliveries, _deletes, _rejects, wake);
        (_deliveries, _deletes, _rejects) = ([], [], []);
        return decisions;
    }

    private void Unanswered(StreamKey key, DateTimeOffset now, bool failed)
    {
        _inFlight.Remove(key);
        if (!_streams.TryGetValue(key.Stream, out InboundStream<TBody>? stream)
            || !stream.Slots.TryGetValue(key.Sequence, out InboundSlot<TBody>? slot) || slot.State != SlotState.InFlight)
        {
            return; // evicted meanwhile, or an answer nobody asked for
        }
        bool later = ExistsAfter(stream, key.Sequence);
        slot.Failures += failed ? 1 : 0;
        if (key.Sequence < stream.Next || (!failed && slot.Kind == SlotKind.Listed) || slot.Failures >= _options.MaxFetchFailures
            || (!failed && !later))
        {
            // Late and not there; listed but gone (the hole bound covers it); given up; or the end of the stream.
            RemoveSlot(stream, key.Sequence);
            if (!later)
            {
                stream.Flowing = false;
                stream.Ahead = 1;
            }
            return;
        }
        slot.State = SlotState.Waiting;
        slot.Kind = slot.Kind == SlotKind.Listed ? SlotKind.Listed : SlotKind.Hole;
        slot.RetryAt = now + _options.HoleRetry * (1 << Math.Min(slot.Failures, 10));
    }

    private void Buffer(InboundStream<TBody> stream, long sequence, InboundSlot<TBody>? slot, TBody? body, long size, bool rejected, DateTimeOffset now)
    {
        if (slot is null)
        {
            stream.Slots[sequence] = slot = new InboundSlot<TBody>();
        }
        else if (slot.State == SlotState.Known)
        {
            _known--;
        }
        (slot.State, slot.Exists, slot.Body, slot.Size, slot.Rejected, slot.ReadyAt) = (SlotState.Ready, true, body, size, rejected, now);
        _buffered++;
        _bufferedBytes += size;
        stream.Highest = Math.Max(stream.Highest, sequence);
        _busy.Add(stream);
    }

    private void RemoveSlot(InboundStream<TBody> stream, long sequence)
    {
        if (!stream.Slots.Remove(sequence, out InboundSlot<TBody>? slot))
        {
            return;
        }
        if (slot.State == SlotState.Known)
        {
            _known--;
        }
        else if (slot.State == SlotState.Ready)
        {
            _buffered--;
            _bufferedBytes -= slot.Size;
        }
    }

    private void Deliver(StreamKey key, TBody body)
    {
        _deliveries.Add(new StreamDelivery<TBody>(key, body));
        _deletes.Add(key);
    }

    private void Reject(StreamKey key, StreamReject reason)
    {
        _rejects.Add(new StreamRejection(key, reason));
        _deletes.Add(key);
    }
}
