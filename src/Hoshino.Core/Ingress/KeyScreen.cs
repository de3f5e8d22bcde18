using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Transport;

namespace Hoshino.Ingress;

/// <summary>
/// What a receiver can tell from a listed key and size alone, before it pays for a GET: the key's
/// form, that it is for this node from another node of its /64 (never link-local, never itself),
/// that it is neither too old nor dated further ahead than clock skew explains, and its size. Pure.
/// </summary>
internal static class KeyScreen
{
    public static RejectReason Screen(StoredObject item, DateTimeOffset now, Address16 self, IngressOptions options, out ObjectKey key)
    {
        key = default;
        if (!ObjectKey.TryParse(item.Key, out ObjectKey? parsed))
        {
            return RejectReason.BadKey;
        }
        key = parsed.Value;
        if (key.Destination != self)
        {
            return RejectReason.WrongDestination;
        }
        if (key.Source.High != self.High || key.Source == self)
        {
            return RejectReason.BadSource; // link-local, another network, or a packet "from" this node
        }
        TimeSpan age = now - key.Id.Time;
        if (age > options.MaxPacketAge)
        {
            return RejectReason.TooOld;
        }
        if (-age > options.MaxClockSkew)
        {
            return RejectReason.TooNew;
        }
        return item.Size > options.MaxObjectBytes ? RejectReason.TooLarge : RejectReason.None;
    }

    /// <summary>
    /// The same for a transport v2 name, whose segments <see cref="StreamKey.TryParse"/> checked:
    /// destination and source as for v1; its age by the store's Last-Modified (v2 names carry no
    /// time), when the store reports one; its size. The epoch's date is the stream ledger's to judge.
    /// </summary>
    public static RejectReason Screen(StoredObject item, StreamKey key, DateTimeOffset now, Address16 self, IngressOptions options)
    {
        if (key.Destination != self)
        {
            return RejectReason.WrongDestination;
        }
        if (key.Source.High != self.High || key.Source == self)
        {
            return RejectReason.BadSource;
        }
        if (item.LastModified != default && now - item.LastModified > options.MaxPacketAge)
        {
            return RejectReason.TooOld;
        }
        return item.Size > options.MaxObjectBytes ? RejectReason.TooLarge : RejectReason.None;
    }
}
