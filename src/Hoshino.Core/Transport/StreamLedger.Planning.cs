namespace Hoshino.Transport;

/// <summary>The ledger's plans: what leaves in order, when a hole is skipped, which names are asked for.</summary>
internal sealed partial class StreamLedger<TBody>
{
    /// <summary>Hands out what is in order; skips the gap before the lowest fetched object once that object has waited <see cref="StreamLedgerOptions.HoleBound"/>.</summary>
    private void Release(InboundStream<TBody> stream, DateTimeOffset now, ref DateTimeOffset? wake)
    {
        while (stream.Window is { } window)
        {
            while (stream.Slots.TryGetValue(window.Next, out InboundSlot<TBody>? slot) && slot.State == SlotState.Ready)
            {
                RemoveSlot(stream, window.Next);
                if (!slot.Rejected)
                {
                    Deliver(stream.KeyOf(_self, window.Next), slot.Body!);
                }
                window.Handle();
            }
            (long sequence, InboundSlot<TBody> ready) = stream.Slots.FirstOrDefault(p => p.Key > window.Next && p.Value.State == SlotState.Ready);
            if (ready is null)
            {
                return;
            }
            DateTimeOffset due = ready.ReadyAt + _options.HoleBound;
            if (now < due)
            {
                wake = Earliest(wake, due);
                return;
            }
            // Names in the gap already asked for, or known to exist, may still come: late, once.
            foreach (long dropped in stream.Slots.Where(p => p.Key >= window.Next && p.Key < sequence && p.Value.State == SlotState.Waiting).Select(p => p.Key).ToList())
            {
                RemoveSlot(stream, dropped);
            }
            HolesSkipped += sequence - window.Next;
            window.Skip(sequence - window.Next);
        }
    }

    /// <summary>What one stream would GET now, most urgent first: listed names, holes due again, the front hole, names ahead.</summary>
    private static List<(long Sequence, SlotKind Kind)> Candidates(InboundStream<TBody> stream, int budget, DateTimeOffset now, ref DateTimeOffset? wake)
    {
        List<(long, SlotKind)> wanted = [];
        if (stream.IsRetired)
        {
            return wanted;
        }
        int holes = 0, ahead = 0;
        foreach ((long sequence, InboundSlot<TBody> slot) in stream.Slots)
        {
            holes += slot is { Kind: SlotKind.Hole, State: SlotState.Waiting or SlotState.InFlight } ? 1 : 0;
            ahead += slot is { Kind: SlotKind.Ahead, State: SlotState.InFlight } ? 1 : 0;
            if (wanted.Count >= budget)
            {
                continue;
            }
            if (slot.State == SlotState.Known)
            {
                wanted.Add((sequence, SlotKind.Listed));
            }
            else if (slot.State == SlotState.Waiting && slot.RetryAt <= now)
            {
                wanted.Add((sequence, slot.Kind));
            }
            else if (slot.State == SlotState.Waiting)
            {
                wake = Earliest(wake, slot.RetryAt);
            }
        }
        if (wanted.Count < budget && holes == 0)
        {
            long gap = stream.Next;
            while (stream.Slots.ContainsKey(gap))
            {
                gap++;
            }
            if (ExistsAfter(stream, gap))
            {
                wanted.Add((gap, SlotKind.Hole)); // one at a time: delivery waits for the lowest gap only
            }
        }
        if (stream.ProbeWanted && ahead > 0)
        {
            stream.ProbeWanted = false; // a GET of the next name is already on its way: that is the probe
        }
        if (stream.Flowing || stream.ProbeWanted)
        {
            int room = Math.Max(stream.ProbeWanted ? 1 : 0, stream.Ahead - ahead);
            for (long next = stream.Frontier; room > 0 && wanted.Count < budget && next < SequenceLimit; next++)
            {
                if (!stream.Slots.ContainsKey(next))
                {
                    wanted.Add((next, SlotKind.Ahead));
                    room--;
                }
            }
        }
        return wanted;
    }

    private void Emit(InboundStream<TBody> stream, long sequence, SlotKind kind, List<StreamKey> gets)
    {
        if (!stream.Slots.TryGetValue(sequence, out InboundSlot<TBody>? slot))
        {
            stream.Slots[sequence] = slot = new InboundSlot<TBody> { Kind = kind };
        }
        else if (slot.State == SlotState.Known)
        {
            _known--;
        }
        slot.State = SlotState.InFlight;
        if (kind == SlotKind.Ahead)
        {
            stream.ProbeWanted = false;
        }
        StreamKey key = stream.KeyOf(_self, sequence);
        _inFlight.Add(key);
        gets.Add(key);
    }

    /// <summary>Whether an object past <paramref name="sequence"/> is known to exist (listed, or fetched and waiting): then a miss is a hole, not the end.</summary>
    private static bool ExistsAfter(InboundStream<TBody> stream, long sequence)
    {
        foreach ((long s, InboundSlot<TBody> slot) in stream.Slots)
        {
            if (s > sequence && slot.Exists)
            {
                return true;
            }
        }
        return false;
    }

    private static DateTimeOffset Earliest(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x < b ? x : b;
}
