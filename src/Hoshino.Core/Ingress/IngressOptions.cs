using Hoshino.Packets;

namespace Hoshino.Ingress;

/// <summary>Bounds and timings of the ingress path (store → TUN).</summary>
public sealed class IngressOptions
{
    /// <summary>Fastest polling interval (<c>--poll-min</c>).</summary>
    public TimeSpan PollMin { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Slowest polling interval, reached while the inbox stays empty (<c>--poll-max</c>).</summary>
    public TimeSpan PollMax { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Longest time between two LISTs while idle (<c>--list-max</c>). An idle node (polling at
    /// <see cref="PollMax"/>) checks its doorbell with a HEAD instead of listing, and lists only when
    /// the doorbell changed or this much time has passed since the last LIST: senders ring the
    /// doorbell, so they are heard within <see cref="PollMax"/>; a sender that does not (the
    /// prototype, or one without permission to ring) within this. At or below PollMax every poll lists.
    /// </summary>
    public TimeSpan ListMax { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the LIST loop stays at the fastest interval after the last v1 traffic (or a send to a
    /// peer with no v2 stream). Transport v2 streams do not use it: their probes follow measured
    /// round trips (docs/adr/0010-transport-v2.md).
    /// </summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Objects older than this (by their key's ULID time) are deleted unread: stale backlog after a
    /// long outage, or a replay. Generous enough for modest clock skew between nodes.
    /// </summary>
    public TimeSpan MaxPacketAge { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How far ahead of this node's clock an object's key may be dated (by its ULID). Further is no
    /// clock skew but a forgery: such an object would outlive every age check (and the replay
    /// memory). Refused as <c>too_new</c>, deleted unread.
    /// </summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Largest object fetched; larger ones are rejected from the listing's size, never downloaded.
    /// The largest bundle a sender makes is 1 MiB of packets plus one more packet (64 KiB), frame
    /// headers (4 B for each of up to 4,096 packets) and the seal: 1.25 MiB holds it with room to spare.
    /// </summary>
    public int MaxObjectBytes { get; set; } = (1 << 20) + (256 << 10);

    /// <summary>
    /// v2: the stream receiver sends its next DeleteObjects no sooner than this after the previous
    /// one, unless 256 names wait (<see cref="DeletePacer"/>). 50 ms holds a delivered object in
    /// the store that much longer and cuts the deletes of a bulk stream about fivefold.
    /// </summary>
    public TimeSpan DeleteInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>GETs in flight at once.</summary>
    public int MaxConcurrentGets { get; set; } = 16;

    /// <summary>
    /// Bytes (by listed size) fetched ahead of the writer. Each body is released once written, so a
    /// node holds at most this much, or <see cref="MaxConcurrentGets"/> × <see cref="MaxObjectBytes"/>
    /// if objects grew between LIST and GET, however long its inbox.
    /// </summary>
    public long MaxBytesInFlight { get; set; } = 8 << 20;

    /// <summary>Bytes (by listed size) one poll fetches; what is left waits for the next poll.</summary>
    public long MaxBytesPerPoll { get; set; } = 64 << 20;

    /// <summary>
    /// Deliver packets that carry other IP packets (IPv6-in-IPv6, IPv4-in-IPv6, GRE;
    /// <c>--allow-encapsulated</c>). Off, an object holding one is rejected as <c>encapsulated</c>:
    /// the inner packet's source is not the sender's, and nothing checked it.
    /// </summary>
    public bool AllowEncapsulated { get; set; }

    /// <summary>Keys per LIST: one request on S3 (its page limit is 1,000).</summary>
    public int ListLimit { get; set; } = 1000;

    /// <summary>
    /// The network key (<c>--network-key-file</c>). When set, only objects sealed with it are
    /// accepted (plain ones are rejected as <c>unsealed</c>, ones that do not open as
    /// <c>auth_failed</c>); when null, sealed objects are rejected as <c>sealed</c>. Owned by the
    /// caller, who disposes it after the pump stops.
    /// </summary>
    public NetworkKey? Key { get; set; }
}
