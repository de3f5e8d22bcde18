namespace Hoshino.Egress;

/// <summary>A packet waiting for the store: a pooled copy (return <see cref="Buffer"/> to <see cref="EgressBuffers"/>) and when it was read.</summary>
internal readonly record struct QueuedPacket(byte[] Buffer, int Length, long Timestamp)
{
    public ReadOnlySpan<byte> Span => Buffer.AsSpan(0, Length);

    public static QueuedPacket CopyOf(ReadOnlySpan<byte> packet, long timestamp)
    {
        byte[] copy = EgressBuffers.Rent(packet.Length);
        packet.CopyTo(copy);
        return new QueuedPacket(copy, packet.Length, timestamp);
    }

    public void Return() => EgressBuffers.Return(Buffer);

    public static void ReturnAll(List<QueuedPacket> packets)
    {
        foreach (QueuedPacket p in packets)
        {
            p.Return();
        }
        packets.Clear();
    }
}

/// <summary>
/// The packets waiting for one destination, in the order the kernel gave them, cut into bundles
/// of at most so many packets and bytes (a packet larger than the byte bound goes alone). Not
/// thread-safe: its owner's lock guards it.
/// </summary>
internal sealed class OutboundQueue
{
    private readonly Queue<QueuedPacket> _packets = new();

    public int Count => _packets.Count;

    public long Bytes { get; private set; }

    public void Enqueue(QueuedPacket packet)
    {
        _packets.Enqueue(packet);
        Bytes += packet.Length;
    }

    /// <summary>Moves the next bundle's packets into <paramref name="bundle"/> (which must be empty); returns their bytes.</summary>
    public int TakeBundle(List<QueuedPacket> bundle, int maxPackets, int maxBytes)
    {
        int bytes = 0;
        while (_packets.TryPeek(out QueuedPacket next) && bundle.Count < maxPackets
               && (bundle.Count == 0 || bytes + next.Length <= maxBytes))
        {
            _packets.Dequeue();
            bundle.Add(next);
            bytes += next.Length;
        }
        Bytes -= bytes;
        return bytes;
    }
}
