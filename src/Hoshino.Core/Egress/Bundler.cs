using Hoshino.Packets;

namespace Hoshino.Egress;

/// <summary>One bundle's bytes in a pooled buffer, ready to PUT; <see cref="Dispose"/> returns the buffer.</summary>
internal readonly struct EncodedBundle(byte[] buffer, int length, int packetBytes) : IDisposable
{
    public ReadOnlyMemory<byte> Body => buffer.AsMemory(0, length);

    /// <summary>Bytes of the packets in it (without framing or sealing).</summary>
    public int PacketBytes => packetBytes;

    public void Dispose() => EgressBuffers.Return(buffer);
}

/// <summary>Writes queued packets as one object (docs/wire-format.md), sealed when there is a network key.</summary>
internal static class Bundler
{
    /// <summary>
    /// Frames <paramref name="packets"/> and, with <paramref name="seal"/>, seals them in place
    /// bound to <paramref name="key"/>, the object's relative key (ADR 0008; for v2 the stream
    /// name, so a copy under another number, epoch, sender or receiver fails to open). Sealed once:
    /// retries PUT these same bytes under the same name.
    /// </summary>
    public static EncodedBundle Encode(List<QueuedPacket> packets, string key, NetworkKey? seal)
    {
        int packetBytes = 0;
        foreach (QueuedPacket p in packets)
        {
            packetBytes += p.Length;
        }
        int length = BundleFormat.EncodedLength(packets.Count, packetBytes, seal is not null);
        byte[] body = EgressBuffers.Rent(length);
        int offset = BundleFormat.WriteHeader(body, seal is null ? (byte)0 : BundleFormat.FlagSealed);
        foreach (QueuedPacket p in packets)
        {
            offset += BundleFormat.WriteFrame(body.AsSpan(offset), p.Span);
        }
        if (seal is not null)
        {
            BundleFormat.Seal(body.AsSpan(0, length), key, seal); // in place: nonce, ciphertext, tag
        }
        return new EncodedBundle(body, length, packetBytes);
    }
}
