using Hoshino.Packets;

namespace Hoshino.Egress;

/// <summary>Bounds and timings of the egress path (TUN → store).</summary>
public sealed class EgressOptions
{
    /// <summary>
    /// Largest bundle, in bytes of packets. 1 MiB keeps a PUT under ~20 ms on RGW while carrying
    /// about twenty 53 KB TCP segments, so a bulk transfer needs far under 0.2 requests per packet.
    /// </summary>
    public int MaxBundleBytes { get; set; } = 1 << 20;

    /// <summary>Most packets in one bundle.</summary>
    public int MaxBundlePackets { get; set; } = 4096;

    /// <summary>Bytes that may wait for one destination while its PUT is in flight; beyond it packets drop.</summary>
    public int MaxQueuedBytesPerDestination { get; set; } = 8 << 20;

    /// <summary>Bytes that may wait in total, over all destinations.</summary>
    public long MaxQueuedBytes { get; set; } = 64 << 20;

    /// <summary>A packet older than this is dropped rather than sent: TCP has long since retransmitted it.</summary>
    public TimeSpan MaxPacketAge { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First retry delay after a failed PUT; doubles per attempt up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A bundle stored for a destination more than this after the previous one rings the
    /// destination's doorbell (<c>{dest}/doorbell</c>), waking it if idle. Must stay well below the
    /// receiver's <see cref="Ingress.IngressOptions.Linger"/>: a receiver that found the previous
    /// bundle is still listing when this one lands.
    /// </summary>
    public TimeSpan RingAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Carry packets that carry other IP packets (IPv6-in-IPv6, IPv4-in-IPv6, GRE;
    /// <c>--allow-encapsulated</c>). Off: the inner packet's source is never checked by the
    /// receiver, so a tunnel inside the tunnel would let a peer speak with any address.
    /// </summary>
    public bool AllowEncapsulated { get; set; }

    /// <summary>How long shutdown waits for queued packets to reach the store.</summary>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How objects are named (<c>--wire-format</c>). <see cref="WireFormat.V2"/>: numbered streams,
    /// several PUTs in flight per destination (docs/adr/0010-transport-v2.md). <see cref="WireFormat.V1"/>:
    /// one PUT in flight, a ULID per object, for networks that still have nodes older than v2's
    /// receivers (they refuse v2 names as <c>bad_key</c>).
    /// </summary>
    public WireFormat WireFormat { get; set; } = WireFormat.V2;

    /// <summary>
    /// How long a v2 sender keeps an idle destination's stream (epoch and next number) after its
    /// last PUT. Continuing a stream the receiver knows is found by name; a new one only by LIST.
    /// </summary>
    public TimeSpan StreamIdleLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Idle v2 streams kept at most; past it the least recently used is dropped (its destination gets a new epoch).</summary>
    public int MaxIdleStreams { get; set; } = 1024;

    /// <summary>
    /// The network key (<c>--network-key-file</c>): when set, every bundle is sealed with it before
    /// the PUT. Null: bundles go out plain. Owned by the caller, who disposes it after the pump stops.
    /// </summary>
    public NetworkKey? Key { get; set; }
}
