using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Transport;

namespace Hoshino.Egress;

/// <summary>One object on its way to the store: its relative key, and its number in the stream (v2) or -1 (v1).</summary>
internal readonly record struct OutboundObject(string Key, long Sequence);

/// <summary>
/// What is sent to one destination, and when: its queue, and how many PUTs may be in flight. v1:
/// one at a time, each named by a fresh ULID, and whatever arrives meanwhile goes out together in
/// the next (natural batching: no timer, no delay when idle). v2: a <see cref="SendWindow"/>
/// numbers the objects of the destination's stream and lets more PUTs start while a backlog waits
/// (docs/adr/0010-transport-v2.md). Bundles are cut and named together, under the owner's lock,
/// so numbers follow packet order however the PUTs finish. Pure: no store, no clock. Not
/// thread-safe: the pump's lock guards it.
/// </summary>
internal sealed class DestinationSender
{
    private readonly Address16 _self;
    private readonly Func<Ulid> _newId;
    private readonly SendWindowOptions? _windowOptions;

    /// <param name="destination">Where the objects go.</param>
    /// <param name="self">This node, the <c>src</c> of every key.</param>
    /// <param name="newId">Mints v1 object names and v2 epochs.</param>
    /// <param name="window">v2: the destination's stream, kept from an earlier sender or new; null: v1.</param>
    /// <param name="windowOptions">v2: for a new window once this one's numbers run out.</param>
    public DestinationSender(Address16 destination, Address16 self, Func<Ulid> newId, SendWindow? window, SendWindowOptions? windowOptions = null)
    {
        Destination = destination;
        _self = self;
        _newId = newId;
        Window = window;
        _windowOptions = windowOptions;
    }

    public Address16 Destination { get; }

    public OutboundQueue Queue { get; } = new();

    /// <summary>v2: the stream being written; replaced (a new epoch) only when its numbers run out. Null in v1.</summary>
    public SendWindow? Window { get; private set; }

    public int InFlight { get; private set; }

    /// <summary>Nothing queued and nothing in flight: the sender can retire (its window kept elsewhere).</summary>
    public bool IsIdle => Queue.Count == 0 && InFlight == 0;

    /// <summary>Whether another PUT should start now.</summary>
    public bool MayStart => Window switch
    {
        null => InFlight == 0 && Queue.Count > 0,
        { IsExhausted: true } => InFlight == 0 && Queue.Count > 0, // Start opens a new epoch
        SendWindow w => w.MayStart(Queue.Bytes),
    };

    /// <summary>
    /// Cuts the next bundle into <paramref name="bundle"/> and names it. Call only when
    /// <see cref="MayStart"/> said so. <paramref name="newEpoch"/> is true when this object opens a
    /// new stream (the numbers of the old one ran out).
    /// </summary>
    public OutboundObject Start(DateTimeOffset now, List<QueuedPacket> bundle, int maxPackets, int maxBytes, out bool newEpoch)
    {
        if (!MayStart)
        {
            throw new InvalidOperationException($"no PUT may start to {Destination} now");
        }
        newEpoch = false;
        int bytes = Queue.TakeBundle(bundle, maxPackets, maxBytes);
        InFlight++;
        if (Window is null)
        {
            return new OutboundObject(new ObjectKey(Destination, _self, _newId()).ToString(), -1);
        }
        if (Window.IsExhausted)
        {
            Window = new SendWindow(_newId(), _windowOptions);
            newEpoch = true;
        }
        long sequence = Window.Start(now, bytes);
        return new OutboundObject(new StreamKey(Destination, _self, Window.Epoch, sequence).ToString(), sequence);
    }

    /// <summary>The PUT is stored. v2: true when the doorbell should ring (the window's rule); v1: false, the pump's <see cref="RingRule"/> decides.</summary>
    public bool Stored(OutboundObject sent, DateTimeOffset now)
    {
        InFlight--;
        return Window?.Stored(sent.Sequence, now, Queue.Bytes) ?? false;
    }

    /// <summary>An attempt failed and will be retried under the same name with the same bytes.</summary>
    public void AttemptFailed(OutboundObject sent, bool throttled, DateTimeOffset now) => Window?.AttemptFailed(sent.Sequence, throttled, now);

    /// <summary>The PUT was given up on: in v2 its number is a hole, never used again.</summary>
    public void GaveUp(OutboundObject sent, DateTimeOffset now)
    {
        InFlight--;
        Window?.GaveUp(sent.Sequence, now);
    }
}
