namespace Hoshino.Transport;

/// <summary>The ledger's streams: which are remembered, admitted, evicted, retired and taken up again.</summary>
internal sealed partial class StreamLedger<TBody>
{
    /// <summary>Takes in one listed name of a known stream.</summary>
    private void Offer(InboundStream<TBody> stream, StreamKey key, DateTimeOffset now)
    {
        stream.LastActive = now;
        if (stream.IsRetired)
        {
            if (key.Sequence < stream.Next)
            {
                Reject(key, StreamReject.Replay);
                return;
            }
            Revive(stream);
        }
        switch (stream.Window!.Check(key.Sequence))
        {
            case ReplayWindow.Mark.Replay:
                Reject(key, StreamReject.Replay);
                return;
            case ReplayWindow.Mark.Handled:
                Reject(key, StreamReject.Duplicate);
                return;
            case ReplayWindow.Mark.Ahead when key.Sequence - stream.Next >= _options.FarAhead:
                Reject(key, StreamReject.TooFarAhead);
                return;
        }
        if (key.Sequence >= stream.Next)
        {
            stream.Highest = Math.Max(stream.Highest, key.Sequence);
        }
        _busy.Add(stream);
        if (stream.Slots.TryGetValue(key.Sequence, out InboundSlot<TBody>? slot))
        {
            slot.Exists = true;
            if (slot.State == SlotState.Waiting)
            {
                slot.RetryAt = now; // it exists after all: ask again at once
            }
            return;
        }
        if (_known >= _options.MaxKnown)
        {
            return; // left in the store: a later listing shows it again
        }
        stream.Slots[key.Sequence] = new InboundSlot<TBody> { State = SlotState.Known, Kind = SlotKind.Listed, Exists = true };
        _known++;
    }

    /// <summary>The stream a fetched object belongs to, admitted if new; null (and the object refused) when it has none.</summary>
    private InboundStream<TBody>? Arrived(StreamKey key, DateTimeOffset now)
    {
        if (key.Sequence >= SequenceLimit)
        {
            Reject(key, StreamReject.TooFarAhead);
            return null;
        }
        if (!_streams.TryGetValue(key.Stream, out InboundStream<TBody>? stream))
        {
            stream = Admit(key.Stream, key.Sequence, now, out StreamReject reason);
            if (stream is null)
            {
                Reject(key, reason);
                return null;
            }
        }
        stream.LastActive = now;
        if (stream.IsRetired)
        {
            if (key.Sequence < stream.Next)
            {
                Reject(key, StreamReject.Replay);
                return null;
            }
            Revive(stream);
        }
        if (key.Sequence - stream.Next >= _options.FarAhead)
        {
            RemoveSlot(stream, key.Sequence);
            Reject(key, StreamReject.TooFarAhead);
            return null;
        }
        return stream;
    }

    /// <summary>Decides whether a new stream is remembered, starting at <paramref name="first"/>.</summary>
    private InboundStream<TBody>? Admit(StreamId id, long first, DateTimeOffset now, out StreamReject reason)
    {
        reason = default;
        if (id.Epoch.Time - now > _options.MaxClockSkew)
        {
            reason = StreamReject.EpochTooNew;
            return null;
        }
        if (_newest.TryGetValue(id.Source, out (Ulid Epoch, DateTimeOffset Seen) newest)
            && id.Epoch.CompareTo(newest.Epoch) < 0 && now - newest.Seen > _options.EpochGrace)
        {
            reason = StreamReject.StaleEpoch;
            return null;
        }
        if (_bySource.TryGetValue(id.Source, out List<InboundStream<TBody>>? siblings) && siblings.Count >= _options.MaxEpochsPerSource)
        {
            InboundStream<TBody> oldest = siblings.MinBy(s => s.Id.Epoch)!;
            if (id.Epoch.CompareTo(oldest.Id.Epoch) < 0)
            {
                reason = StreamReject.TooManyEpochs;
                return null;
            }
            Evict(oldest, StreamReject.TooManyEpochs);
        }
        if (_streams.Count >= _options.MaxStreams)
        {
            if (_retired.First is not { } victim)
            {
                reason = StreamReject.TooManyStreams;
                return null;
            }
            Evict(victim.Value, StreamReject.TooManyStreams);
        }
        var stream = new InboundStream<TBody>(id, first, now);
        _streams.Add(id, stream);
        if (!_bySource.TryGetValue(id.Source, out siblings))
        {
            _bySource[id.Source] = siblings = [];
        }
        siblings.Add(stream);
        if (!_newest.TryGetValue(id.Source, out newest) || id.Epoch.CompareTo(newest.Epoch) > 0)
        {
            _newest[id.Source] = (id.Epoch, now);
        }
        return stream;
    }

    /// <summary>Forgets a stream; every object of it known to exist is refused (so deleted) with <paramref name="reason"/>.</summary>
    private void Evict(InboundStream<TBody> stream, StreamReject reason)
    {
        foreach ((long sequence, InboundSlot<TBody> slot) in stream.Slots.ToList())
        {
            bool pendingDelete = slot is { State: SlotState.Ready, Rejected: true };
            RemoveSlot(stream, sequence);
            if (slot.Exists && !pendingDelete && slot.State != SlotState.InFlight)
            {
                Reject(stream.KeyOf(_self, sequence), reason); // an in-flight one is refused when it is answered
            }
        }
        _streams.Remove(stream.Id);
        _busy.Remove(stream);
        if (stream.RetiredNode is { } node)
        {
            _retired.Remove(node);
        }
        List<InboundStream<TBody>> siblings = _bySource[stream.Id.Source];
        siblings.Remove(stream);
        if (siblings.Count == 0)
        {
            _bySource.Remove(stream.Id.Source);
            _newest.Remove(stream.Id.Source);
        }
    }

    private void Revive(InboundStream<TBody> stream)
    {
        if (stream.RetiredNode is { } node)
        {
            _retired.Remove(node);
            stream.RetiredNode = null;
        }
        stream.Revive();
    }

    /// <summary>At most once a second: retires streams with nothing pending and no sign of their sender for <see cref="StreamLedgerOptions.RetireAfter"/>.</summary>
    private void Housekeeping(DateTimeOffset now)
    {
        if (now - _lastHousekeeping < TimeSpan.FromSeconds(1))
        {
            return;
        }
        _lastHousekeeping = now;
        foreach (InboundStream<TBody> stream in _streams.Values)
        {
            if (!stream.IsRetired && stream.Slots.Count == 0 && !_busy.Contains(stream) && now - stream.LastActive >= _options.RetireAfter)
            {
                stream.Retire();
                stream.RetiredNode = _retired.AddLast(stream);
            }
        }
    }
}
