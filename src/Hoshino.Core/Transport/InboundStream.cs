namespace Hoshino.Transport;

/// <summary>What a slot is waiting for.</summary>
internal enum SlotState
{
    /// <summary>Listed: the object exists; not asked for yet.</summary>
    Known,
    /// <summary>A GET is in flight.</summary>
    InFlight,
    /// <summary>A GET found nothing (or failed); ask again at <see cref="InboundSlot{TBody}.RetryAt"/>.</summary>
    Waiting,
    /// <summary>Fetched (or found invalid), waiting for its predecessors to be delivered.</summary>
    Ready,
}

/// <summary>Why a name was asked for.</summary>
internal enum SlotKind
{
    /// <summary>A listing showed it.</summary>
    Listed,
    /// <summary>A gap below a number known to exist: the name the stream's delivery waits for.</summary>
    Hole,
    /// <summary>Speculation past everything known: the next name of a flowing (or probed) stream.</summary>
    Ahead,
}

/// <summary>One sequence number a receiver is doing something about. Mutable; owned by its stream.</summary>
internal sealed class InboundSlot<TBody>
{
    public SlotState State { get; set; }
    public SlotKind Kind { get; set; }
    /// <summary>A listing showed the object, or a GET found it: it exists (or existed).</summary>
    public bool Exists { get; set; }
    public TBody? Body { get; set; }
    public long Size { get; set; }
    /// <summary>Fetched but invalid: its number counts as handled, nothing is written.</summary>
    public bool Rejected { get; set; }
    public DateTimeOffset ReadyAt { get; set; }
    public DateTimeOffset RetryAt { get; set; }
    public int Failures { get; set; }
}

/// <summary>
/// The receiver's state of one stream: its cursor (the next number to deliver) with the replay
/// window below it, and the slots at or above it (and late ones below). Retired, only the cursor
/// is kept, so a replay of an old number is still refused. Owned by <see cref="StreamLedger{TBody}"/>.
/// </summary>
internal sealed class InboundStream<TBody>(StreamId id, long next, DateTimeOffset now)
{
    private long _retiredNext;

    public StreamId Id { get; } = id;

    /// <summary>Null while retired.</summary>
    public ReplayWindow? Window { get; private set; } = new(next, belowUnknown: true);

    public long Next => Window?.Next ?? _retiredNext;

    public bool IsRetired => Window is null;

    /// <summary>By sequence number. Bounded by the ledger's caps on known, in-flight and buffered objects, plus holes (at most <see cref="StreamLedgerOptions.MaxAhead"/>).</summary>
    public SortedDictionary<long, InboundSlot<TBody>> Slots { get; } = [];

    /// <summary>Highest number known to exist (listed or found); −1 when none.</summary>
    public long Highest { get; set; } = -1;

    /// <summary>The first number past everything known: where speculation starts.</summary>
    public long Frontier => Math.Max(Next, Highest + 1);

    /// <summary>Speculative GETs allowed past <see cref="Frontier"/>: doubles while they find objects, back to 1 on a miss.</summary>
    public int Ahead { get; set; } = 1;

    /// <summary>The last speculative GET found an object: keep reading ahead without being asked.</summary>
    public bool Flowing { get; set; }

    /// <summary>The polling policy asked for one GET of the next name.</summary>
    public bool ProbeWanted { get; set; }

    /// <summary>When the sender last showed anything of this stream (a listing, an object).</summary>
    public DateTimeOffset LastActive { get; set; } = now;

    public LinkedListNode<InboundStream<TBody>>? RetiredNode { get; set; }

    public StreamKey KeyOf(Packets.Address16 destination, long sequence) => new(destination, Id, sequence);

    /// <summary>Drops everything but the cursor. The caller has emptied <see cref="Slots"/>.</summary>
    public void Retire()
    {
        _retiredNext = Next;
        Window = null;
        Flowing = false;
        ProbeWanted = false;
        Ahead = 1;
    }

    /// <summary>Takes a retired stream up again: everything below its cursor counts as handled.</summary>
    public void Revive() => Window = new ReplayWindow(_retiredNext, belowUnknown: false);
}
