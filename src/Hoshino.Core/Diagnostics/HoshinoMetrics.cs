using System.Diagnostics;
using System.Text;

namespace Hoshino.Diagnostics;

/// <summary>
/// Every figure the node reports, and the only place they are kept: recording is a lock-free
/// increment on a closed set of labels, and <see cref="WritePrometheus"/> renders the
/// <c>/metrics</c> page from the same fields (docs/adr/0003). Thread-safe. This file holds the
/// packets both ways and egress; each other area's figures, and its part of the page, are a
/// partial of their own (Inbox, Streams, Store, Directory, Dns, Peers, Process), rendered in that order.
/// </summary>
public sealed partial class HoshinoMetrics
{
    private static readonly long[] BundlePacketBounds = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
    private static readonly long[] BundleByteBounds = [128, 512, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216];
    /// <summary>1 to 8: a v2 window's range (SendWindowOptions.MaxInFlight); +Inf would mean a bug.</summary>
    private static readonly long[] InFlightBounds = [1, 2, 3, 4, 6, 8];

    private readonly long[] _packets = new long[2];
    private readonly long[] _bytes = new long[2];
    private readonly long[,] _dropped = new long[2, Enum.GetValues<DropReason>().Length];
    private readonly long[] _ignored = new long[Enum.GetValues<IgnoreReason>().Length];
    private readonly Histogram _bundlePackets = new(BundlePacketBounds, 1);
    private readonly Histogram _bundleBytes = new(BundleByteBounds, 1);
    private readonly long[] _bundles = new long[2];
    private readonly Histogram _putsInFlightPerDestination = new(InFlightBounds, 1);
    private long _streamHoles;
    private long _heartbeatTicks;
    private readonly DateTimeOffset _startTime;
    private readonly TimeProvider _time;
    private readonly string _version;
    private Func<int> _egressQueueDepth = () => 0;
    private Func<int> _egressPutsInFlight = () => 0;

    public HoshinoMetrics(TimeProvider time, string version)
    {
        _time = time;
        _version = version;
        _startTime = Process.GetCurrentProcess().StartTime.ToUniversalTime();
    }

    /// <summary>The heartbeat's current interval; set by the ingress loop.</summary>
    public TimeSpan HeartbeatInterval
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _heartbeatTicks));
        set => Volatile.Write(ref _heartbeatTicks, value.Ticks);
    }

    /// <summary>Where the egress queue depth gauge reads from.</summary>
    public void ObserveEgressQueue(Func<int> depth) => _egressQueueDepth = depth;

    /// <summary>Where the gauge of bundle PUTs in flight, over all destinations, reads from.</summary>
    public void ObserveEgressPutsInFlight(Func<int> count) => _egressPutsInFlight = count;

    /// <summary>A bundle PUT started; <paramref name="inFlightToDestination"/> to its destination, this one included.</summary>
    public void EgressPutStarted(int inFlightToDestination) => _putsInFlightPerDestination.Record(inFlightToDestination);

    /// <summary>A v2 PUT was given up on: its number is a hole the receiver skips within its bound.</summary>
    public void StreamHoleLeft() => Interlocked.Increment(ref _streamHoles);

    public long StreamHoles => Volatile.Read(ref _streamHoles);

    public void PacketsMoved(Direction direction, int packets, long bytes)
    {
        Interlocked.Add(ref _packets[(int)direction], packets);
        Interlocked.Add(ref _bytes[(int)direction], bytes);
    }

    public void PacketsDropped(Direction direction, DropReason reason, int packets = 1) =>
        Interlocked.Add(ref _dropped[(int)direction, (int)reason], packets);

    public void PacketIgnored(IgnoreReason reason) => Interlocked.Increment(ref _ignored[(int)reason]);

    public void BundleMade(Direction direction, int packets, int bytes)
    {
        Interlocked.Increment(ref _bundles[(int)direction]);
        if (direction == Direction.Egress)
        {
            _bundlePackets.Record(packets);
            _bundleBytes.Record(bytes);
        }
    }

    // Read accessors, for tests and the demo summary.
    public long Packets(Direction direction) => Volatile.Read(ref _packets[(int)direction]);
    public long Bytes(Direction direction) => Volatile.Read(ref _bytes[(int)direction]);
    public long Dropped(Direction direction, DropReason reason) => Volatile.Read(ref _dropped[(int)direction, (int)reason]);
    public long Ignored(IgnoreReason reason) => Volatile.Read(ref _ignored[(int)reason]);

    /// <summary>Renders every metric in the Prometheus text format.</summary>
    public string WritePrometheus()
    {
        var text = new StringBuilder(8192);
        var w = new PrometheusWriter(text);

        w.Family("hoshino_packets_total", "counter", "IPv6 packets moved through the tunnel (egress: TUN to store; ingress: store to TUN).");
        foreach (Direction d in Enum.GetValues<Direction>())
        {
            w.Sample("hoshino_packets_total", $"direction=\"{MetricLabels.Of(d)}\"", Packets(d));
        }
        w.Family("hoshino_bytes_total", "counter", "Bytes of IPv6 packets moved through the tunnel.");
        foreach (Direction d in Enum.GetValues<Direction>())
        {
            w.Sample("hoshino_bytes_total", $"direction=\"{MetricLabels.Of(d)}\"", Bytes(d));
        }
        w.Family("hoshino_bundles_total", "counter", "Objects written to (egress) or delivered from (ingress) the store.");
        foreach (Direction d in Enum.GetValues<Direction>())
        {
            w.Sample("hoshino_bundles_total", $"direction=\"{MetricLabels.Of(d)}\"", Volatile.Read(ref _bundles[(int)d]));
        }

        w.Family("hoshino_dropped_packets_total", "counter", "Packets that should have been delivered and were not, by reason.");
        foreach (Direction d in Enum.GetValues<Direction>())
        {
            foreach (DropReason r in Enum.GetValues<DropReason>())
            {
                w.Sample("hoshino_dropped_packets_total", $"direction=\"{MetricLabels.Of(d)}\",reason=\"{MetricLabels.Of(r)}\"", Dropped(d, r));
            }
        }
        w.Family("hoshino_ignored_packets_total", "counter", "Packets from the kernel that are not for the tunnel, by reason.");
        foreach (IgnoreReason r in Enum.GetValues<IgnoreReason>())
        {
            w.Sample("hoshino_ignored_packets_total", $"reason=\"{MetricLabels.Of(r)}\"", Ignored(r));
        }
        WriteInboxMetrics(w);
        WriteStreamMetrics(w);
        WriteStoreMetrics(w);

        w.Family("hoshino_bundle_packets", "histogram", "Packets per object written to the store.");
        _bundlePackets.WriteTo(w, "hoshino_bundle_packets", "");
        w.Family("hoshino_bundle_bytes", "histogram", "Bytes per object written to the store.");
        _bundleBytes.WriteTo(w, "hoshino_bundle_bytes", "");
        w.Family("hoshino_egress_queue_depth", "gauge", "Packets waiting to be sent to the store.");
        w.Sample("hoshino_egress_queue_depth", "", _egressQueueDepth());
        w.Family("hoshino_egress_puts_in_flight", "gauge", "Bundle PUTs in flight, over all destinations.");
        w.Sample("hoshino_egress_puts_in_flight", "", _egressPutsInFlight());
        w.Family("hoshino_egress_destination_puts_in_flight", "histogram", "PUTs in flight to the bundle's destination when each PUT starts, itself included (v1: always 1; v2: up to its window).");
        _putsInFlightPerDestination.WriteTo(w, "hoshino_egress_destination_puts_in_flight", "");
        w.Family("hoshino_egress_stream_holes_total", "counter", "v2 stream numbers given up on (PUT expired, refused or aborted at shutdown): holes the receiver skips.");
        w.Sample("hoshino_egress_stream_holes_total", "", StreamHoles);
        w.Family("hoshino_heartbeat_interval_seconds", "gauge", "Current interval between polls of the node's inbox.");
        w.Sample("hoshino_heartbeat_interval_seconds", "", HeartbeatInterval.TotalSeconds);
        WriteDirectoryMetrics(w);

        WriteDnsMetrics(w);
        WritePeerMetrics(w);
        WriteProcessMetrics(w);
        return text.ToString();
    }

}
