using System.Diagnostics;
using System.Text;
using Hoshino.Peers;
using Hoshino.Packets;
using Hoshino.Store;

namespace Hoshino.Diagnostics;

/// <summary>
/// Every figure the node reports, and the only place they are kept: recording is a lock-free
/// increment on a closed set of labels, and <see cref="WritePrometheus"/> renders the
/// <c>/metrics</c> page from the same fields (docs/adr/0003). Thread-safe.
/// </summary>
public sealed partial class HoshinoMetrics
{
    /// <summary>AWS S3 Standard list prices, us-east-1, dollars per request (DELETE is free, HEAD is priced as GET).</summary>
    public static double PriceOf(StoreOperation operation) => operation switch
    {
        StoreOperation.Put or StoreOperation.List => 0.005 / 1000,
        StoreOperation.Get or StoreOperation.Head => 0.0004 / 1000,
        _ => 0,
    };

    private static readonly long[] LatencyBoundsMicros =
        [250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000];
    private static readonly long[] BundlePacketBounds = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
    private static readonly long[] BundleByteBounds = [128, 512, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216];
    /// <summary>1 to 8: a v2 window's range (SendWindowOptions.MaxInFlight); +Inf would mean a bug.</summary>
    private static readonly long[] InFlightBounds = [1, 2, 3, 4, 6, 8];

    private readonly long[] _packets = new long[2];
    private readonly long[] _bytes = new long[2];
    private readonly long[,] _dropped = new long[2, Enum.GetValues<DropReason>().Length];
    private readonly long[] _ignored = new long[Enum.GetValues<IgnoreReason>().Length];
    private readonly long[] _rejected = new long[Enum.GetValues<RejectReason>().Length];
    private readonly long[] _requests = new long[Enum.GetValues<StoreOperation>().Length];
    private readonly long[,] _errors = new long[Enum.GetValues<StoreOperation>().Length, Enum.GetValues<StoreErrorKind>().Length];
    private readonly long[] _retries = new long[Enum.GetValues<StoreOperation>().Length];
    private readonly Histogram[] _latency;
    private readonly Histogram _bundlePackets = new(BundlePacketBounds, 1);
    private readonly Histogram _bundleBytes = new(BundleByteBounds, 1);
    private readonly long[] _bundles = new long[2];
    private readonly Histogram _putsInFlightPerDestination = new(InFlightBounds, 1);
    private long _streamHoles;
    private long _heartbeatTicks;
    private long _duplicatesSuppressed;
    private long _objectsDeleted;
    private long _deletesGivenUp;
    private long _doorbellsRung;
    private long _doorbellsHeard;
    private long _doorbellsFailed;
    private readonly long[] _probes = new long[2];
    private long _holesSkipped;
    private long _lateDeliveries;
    private long _streams;
    private readonly DateTimeOffset _startTime;
    private readonly TimeProvider _time;
    private readonly string _version;
    private Func<int> _egressQueueDepth = () => 0;
    private Func<int> _egressPutsInFlight = () => 0;
    private Func<bool> _addressConflict = () => false;
    private readonly long[] _directoryRejected = new long[Enum.GetValues<DirectoryRejectReason>().Length];
    private Func<int> _directoryPeers = () => 0;
    private Func<int> _directoryConflicts = () => 0;
    // Until a node observes its peers: the page has the shape a node with none has (peer="other" only).
    private Func<IReadOnlyList<Peers.PeerSample>> _peers = () => Peers.PeerSamples.Build([], new Peers.PeerTraffic(1).Snapshot(), default);

    public HoshinoMetrics(TimeProvider time, string version)
    {
        _time = time;
        _version = version;
        _startTime = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        _latency = [.. Enum.GetValues<StoreOperation>().Select(_ => new Histogram(LatencyBoundsMicros, 1e-6))];
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

    /// <summary>Where the address-conflict gauge reads from (another live node claims this address).</summary>
    public void ObserveAddressConflict(Func<bool> conflict) => _addressConflict = conflict;

    /// <summary>Where the peer directory's gauges read from: fresh records served, and names claimed by more than one address.</summary>
    public void ObserveDirectory(Func<int> peers, Func<int> conflicts) => (_directoryPeers, _directoryConflicts) = (peers, conflicts);

    /// <summary>A directory record was refused (counted once per version of the object).</summary>
    public void DirectoryRejected(DirectoryRejectReason reason) => Interlocked.Increment(ref _directoryRejected[(int)reason]);

    public long DirectoryRejections(DirectoryRejectReason reason) => Volatile.Read(ref _directoryRejected[(int)reason]);
    /// <summary>Where the per-peer rows come from (<see cref="Peers.PeerSamples"/>: a bounded label set).</summary>
    public void ObservePeers(Func<IReadOnlyList<Peers.PeerSample>> peers) => _peers = peers;

    public void PacketsMoved(Direction direction, int packets, long bytes)
    {
        Interlocked.Add(ref _packets[(int)direction], packets);
        Interlocked.Add(ref _bytes[(int)direction], bytes);
    }

    public void PacketsDropped(Direction direction, DropReason reason, int packets = 1) =>
        Interlocked.Add(ref _dropped[(int)direction, (int)reason], packets);

    public void PacketIgnored(IgnoreReason reason) => Interlocked.Increment(ref _ignored[(int)reason]);

    public void ObjectRejected(RejectReason reason) => Interlocked.Increment(ref _rejected[(int)reason]);

    /// <summary>An object that was already written to the kernel was listed again; it was not written twice.</summary>
    public void DuplicateSuppressed() => Interlocked.Increment(ref _duplicatesSuppressed);

    /// <summary>Objects the ingress loop deleted after delivering or rejecting them.</summary>
    public void ObjectsDeleted(int count) => Interlocked.Add(ref _objectsDeleted, count);

    public long DeletedObjects => Volatile.Read(ref _objectsDeleted);

    /// <summary>Keys the store refused to delete, one by one, until the node gave up on them.</summary>
    public void DeletesGivenUp(int count) => Interlocked.Add(ref _deletesGivenUp, count);

    public long UndeletableObjects => Volatile.Read(ref _deletesGivenUp);

    /// <summary>Egress rang a destination's doorbell (its first bundle after a quiet spell).</summary>
    public void DoorbellRung() => Interlocked.Increment(ref _doorbellsRung);

    /// <summary>Ingress, idle, found its doorbell changed and listed the inbox at once.</summary>
    public void DoorbellHeard() => Interlocked.Increment(ref _doorbellsHeard);

    /// <summary>Egress gave up ringing a doorbell (store errors, or no permission to ring).</summary>
    public void DoorbellFailed() => Interlocked.Increment(ref _doorbellsFailed);

    public long DoorbellsRung => Volatile.Read(ref _doorbellsRung);

    public long DoorbellsFailed => Volatile.Read(ref _doorbellsFailed);

    public long DoorbellsHeard => Volatile.Read(ref _doorbellsHeard);

    public void BundleMade(Direction direction, int packets, int bytes)
    {
        Interlocked.Increment(ref _bundles[(int)direction]);
        if (direction == Direction.Egress)
        {
            _bundlePackets.Record(packets);
            _bundleBytes.Record(bytes);
        }
    }

    /// <summary>
    /// One request to the store, failed or not, and how long it took. S3: one per HTTP request,
    /// recorded by the client's handler; a store without requests of its own (dir:) records one
    /// per operation (<see cref="Store.InstrumentedPacketStore"/>).
    /// </summary>
    public void StoreRequest(StoreOperation operation, TimeSpan elapsed)
    {
        Interlocked.Increment(ref _requests[(int)operation]);
        _latency[(int)operation].Record((long)elapsed.TotalMicroseconds);
    }

    /// <summary>
    /// A store request failed, and why. Recorded where the failure is understood (the S3 store,
    /// once per failed SDK call, each one HTTP request), apart from <see cref="StoreRequest"/>.
    /// </summary>
    public void StoreError(StoreOperation operation, StoreErrorKind kind) =>
        Interlocked.Increment(ref _errors[(int)operation, (int)kind]);

    public void StoreRetry(StoreOperation operation) => Interlocked.Increment(ref _retries[(int)operation]);

    // Read accessors, for tests and the demo summary.
    public long Packets(Direction direction) => Volatile.Read(ref _packets[(int)direction]);
    public long Bytes(Direction direction) => Volatile.Read(ref _bytes[(int)direction]);
    public long Dropped(Direction direction, DropReason reason) => Volatile.Read(ref _dropped[(int)direction, (int)reason]);
    public long Ignored(IgnoreReason reason) => Volatile.Read(ref _ignored[(int)reason]);
    public long Rejected(RejectReason reason) => Volatile.Read(ref _rejected[(int)reason]);
    public long Requests(StoreOperation operation) => Volatile.Read(ref _requests[(int)operation]);
    public long Errors(StoreOperation operation, StoreErrorKind kind) => Volatile.Read(ref _errors[(int)operation, (int)kind]);
    public long DuplicatesSuppressed => Volatile.Read(ref _duplicatesSuppressed);

    /// <summary>
    /// A transport v2 GET of a name no listing showed (a probe for a reply, a forecast, the hold, or
    /// a read ahead of a flowing stream): hit when the object was there.
    /// </summary>
    public void StreamProbed(bool hit) => Interlocked.Increment(ref _probes[hit ? 1 : 0]);

    public long StreamProbes(bool hit) => Volatile.Read(ref _probes[hit ? 1 : 0]);

    /// <summary>Sequence numbers a v2 stream skipped after waiting the hole bound for them.</summary>
    public void HolesSkipped(long count) => Interlocked.Add(ref _holesSkipped, count);

    public long SkippedHoles => Volatile.Read(ref _holesSkipped);

    /// <summary>Skipped numbers delivered after all, late, once.</summary>
    public void LateDelivered(long count) => Interlocked.Add(ref _lateDeliveries, count);

    public long LateDeliveries => Volatile.Read(ref _lateDeliveries);

    /// <summary>Transport v2 streams the receiver remembers (live and retired); set by its loop.</summary>
    public long StreamCount
    {
        get => Volatile.Read(ref _streams);
        set => Volatile.Write(ref _streams, value);
    }

    /// <summary>
    /// The upper bound of the latency bucket holding quantile <paramref name="q"/> of <paramref name="operation"/>'s
    /// requests so far (bounds 1, 2, 5, 10, 20, 50 ms, …), or null before any: what the node measures the store by.
    /// </summary>
    public TimeSpan? Latency(StoreOperation operation, double q) =>
        _latency[(int)operation].Quantile(q) is { } micros ? TimeSpan.FromMicroseconds(micros) : null;

    /// <summary>What the requests so far would have cost on AWS S3 Standard.</summary>
    public double EstimatedCostDollars()
    {
        double total = 0;
        foreach (StoreOperation op in Enum.GetValues<StoreOperation>())
        {
            total += Requests(op) * PriceOf(op);
        }
        return total;
    }

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
        w.Family("hoshino_rejected_objects_total", "counter", "Objects from the store refused (and deleted) by the receiver, by reason.");
        foreach (RejectReason r in Enum.GetValues<RejectReason>())
        {
            if (r != RejectReason.None)
            {
                w.Sample("hoshino_rejected_objects_total", $"reason=\"{MetricLabels.Of(r)}\"", Rejected(r));
            }
        }
        w.Family("hoshino_duplicate_objects_total", "counter", "Objects listed again after delivery (delete pending) and not written twice.");
        w.Sample("hoshino_duplicate_objects_total", "", DuplicatesSuppressed);

        w.Family("hoshino_deleted_objects_total", "counter", "Objects deleted from the inbox; each was written to the kernel or rejected first.");
        w.Sample("hoshino_deleted_objects_total", "", DeletedObjects);

        w.Family("hoshino_undeletable_objects_total", "counter", "Inbox keys the store refused to delete, each alone, until the node gave up on them (left to the lifecycle rule).");
        w.Sample("hoshino_undeletable_objects_total", "", UndeletableObjects);

        w.Family("hoshino_doorbell_rings_total", "counter", "Doorbells rung for destinations after a quiet spell (sent; failed: given up), and rings that woke this idle node (heard).");
        w.Sample("hoshino_doorbell_rings_total", "direction=\"sent\"", DoorbellsRung);
        w.Sample("hoshino_doorbell_rings_total", "direction=\"failed\"", DoorbellsFailed);
        w.Sample("hoshino_doorbell_rings_total", "direction=\"heard\"", DoorbellsHeard);

        w.Family("hoshino_stream_probes_total", "counter", "Transport v2 GETs of names no listing showed (probes for replies, reads ahead), by whether the object was there.");
        w.Sample("hoshino_stream_probes_total", "result=\"hit\"", StreamProbes(hit: true));
        w.Sample("hoshino_stream_probes_total", "result=\"miss\"", StreamProbes(hit: false));
        w.Family("hoshino_stream_holes_skipped_total", "counter", "Transport v2 sequence numbers skipped after the hole bound (a PUT given up, a sender gone mid-window).");
        w.Sample("hoshino_stream_holes_skipped_total", "", SkippedHoles);
        w.Family("hoshino_stream_late_deliveries_total", "counter", "Skipped transport v2 objects that turned up later and were delivered once, out of order.");
        w.Sample("hoshino_stream_late_deliveries_total", "", LateDeliveries);
        w.Family("hoshino_streams", "gauge", "Transport v2 streams (sender, epoch) the receiver remembers, live and retired.");
        w.Sample("hoshino_streams", "", StreamCount);

        w.Family("hoshino_s3_requests_total", "counter", "Store requests, by operation (S3: PUT, LIST, GET, HEAD, DeleteObjects).");
        foreach (StoreOperation op in Enum.GetValues<StoreOperation>())
        {
            w.Sample("hoshino_s3_requests_total", $"operation=\"{MetricLabels.Of(op)}\"", Requests(op));
        }
        w.Family("hoshino_s3_errors_total", "counter", "Failed store requests, by operation and kind.");
        foreach (StoreOperation op in Enum.GetValues<StoreOperation>())
        {
            foreach (StoreErrorKind kind in Enum.GetValues<StoreErrorKind>())
            {
                w.Sample("hoshino_s3_errors_total", $"operation=\"{MetricLabels.Of(op)}\",kind=\"{MetricLabels.Of(kind)}\"", Errors(op, kind));
            }
        }
        w.Family("hoshino_s3_retries_total", "counter", "Store requests repeated after a failure, by operation.");
        foreach (StoreOperation op in Enum.GetValues<StoreOperation>())
        {
            w.Sample("hoshino_s3_retries_total", $"operation=\"{MetricLabels.Of(op)}\"", Volatile.Read(ref _retries[(int)op]));
        }
        w.Family("hoshino_s3_request_duration_seconds", "histogram", "Store request latency, by operation.");
        foreach (StoreOperation op in Enum.GetValues<StoreOperation>())
        {
            _latency[(int)op].WriteTo(w, "hoshino_s3_request_duration_seconds", $"operation=\"{MetricLabels.Of(op)}\"");
        }
        w.Family("hoshino_s3_estimated_cost_dollars_total", "counter", "What the store requests so far would cost on AWS S3 Standard (us-east-1 list prices).");
        w.Sample("hoshino_s3_estimated_cost_dollars_total", "", EstimatedCostDollars());

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

        w.Family("hoshino_address_conflict", "gauge", "1 while another live node holds this node's address lease (a cloned machine-id).");
        w.Sample("hoshino_address_conflict", "", _addressConflict() ? 1 : 0);

        w.Family("hoshino_directory_peers", "gauge", "Fresh records in the peer directory, this node's own included.");
        w.Sample("hoshino_directory_peers", "", _directoryPeers());
        w.Family("hoshino_directory_name_conflicts", "gauge", "Names in the peer directory claimed by more than one address (the older start answers).");
        w.Sample("hoshino_directory_name_conflicts", "", _directoryConflicts());
        w.Family("hoshino_directory_rejected_records_total", "counter", "Peer directory records refused, by reason (once per version of each object).");
        foreach (DirectoryRejectReason r in Enum.GetValues<DirectoryRejectReason>())
        {
            if (r != DirectoryRejectReason.None)
            {
                w.Sample("hoshino_directory_rejected_records_total", $"reason=\"{MetricLabels.Of(r)}\"", DirectoryRejections(r));
            }
        }

        WriteDnsMetrics(w);
        WritePeerMetrics(w);
        WriteProcessMetrics(w);
        return text.ToString();
    }

    private void WritePeerMetrics(PrometheusWriter w)
    {
        IReadOnlyList<Peers.PeerSample> rows = _peers();
        w.Family("hoshino_peer_packets_total", "counter",
            "Packets to (egress) and from (ingress) each peer in the directory (at most 64 by name); the rest under peer=\"other\".");
        foreach (Peers.PeerSample row in rows)
        {
            string peer = PrometheusWriter.Escape(row.Peer);
            w.Sample("hoshino_peer_packets_total", $"peer=\"{peer}\",direction=\"egress\"", row.Counters.PacketsOut);
            w.Sample("hoshino_peer_packets_total", $"peer=\"{peer}\",direction=\"ingress\"", row.Counters.PacketsIn);
        }
        w.Family("hoshino_peer_bytes_total", "counter", "Bytes of those packets, by peer and direction.");
        foreach (Peers.PeerSample row in rows)
        {
            string peer = PrometheusWriter.Escape(row.Peer);
            w.Sample("hoshino_peer_bytes_total", $"peer=\"{peer}\",direction=\"egress\"", row.Counters.BytesOut);
            w.Sample("hoshino_peer_bytes_total", $"peer=\"{peer}\",direction=\"ingress\"", row.Counters.BytesIn);
        }
        w.Family("hoshino_peer_round_trip_seconds", "gauge", "The last ICMPv6 echo round trip from this node to each peer that answered one.");
        foreach (Peers.PeerSample row in rows)
        {
            if (row.Counters.LastRoundTrip is { } rtt)
            {
                w.Sample("hoshino_peer_round_trip_seconds", $"peer=\"{PrometheusWriter.Escape(row.Peer)}\"", rtt.TotalSeconds);
            }
        }
    }

    private void WriteProcessMetrics(PrometheusWriter w)
    {
        using var process = Process.GetCurrentProcess();
        w.Family("hoshino_build_info", "gauge", "Build version of the running node.");
        w.Sample("hoshino_build_info", $"version=\"{PrometheusWriter.Escape(_version)}\",runtime=\"{PrometheusWriter.Escape(Environment.Version.ToString())}\"", 1);
        w.Family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.");
        w.Sample("process_start_time_seconds", "", _startTime.ToUnixTimeMilliseconds() / 1000.0);
        w.Family("hoshino_uptime_seconds", "gauge", "Seconds since the process started.");
        w.Sample("hoshino_uptime_seconds", "", (_time.GetUtcNow() - _startTime).TotalSeconds);
        w.Family("process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.");
        w.Sample("process_cpu_seconds_total", "", process.TotalProcessorTime.TotalSeconds);
        w.Family("process_resident_memory_bytes", "gauge", "Resident set size in bytes.");
        w.Sample("process_resident_memory_bytes", "", process.WorkingSet64);
        w.Family("process_threads", "gauge", "Operating-system threads in the process.");
        w.Sample("process_threads", "", process.Threads.Count);
        w.Family("dotnet_threadpool_threads", "gauge", "Thread-pool threads.");
        w.Sample("dotnet_threadpool_threads", "", ThreadPool.ThreadCount);
        GCMemoryInfo gc = GC.GetGCMemoryInfo();
        w.Family("dotnet_gc_heap_size_bytes", "gauge", "Managed heap size after the last collection.");
        w.Sample("dotnet_gc_heap_size_bytes", "", gc.HeapSizeBytes);
        w.Family("dotnet_gc_memory_total_available_bytes", "gauge", "Memory the GC may use.");
        w.Sample("dotnet_gc_memory_total_available_bytes", "", gc.TotalAvailableMemoryBytes);
        w.Family("dotnet_gc_allocated_bytes_total", "counter", "Bytes allocated on the managed heap.");
        w.Sample("dotnet_gc_allocated_bytes_total", "", GC.GetTotalAllocatedBytes());
        w.Family("dotnet_gc_collections_total", "counter", "Garbage collections, by generation.");
        for (int gen = 0; gen <= GC.MaxGeneration; gen++)
        {
            w.Sample("dotnet_gc_collections_total", $"generation=\"{gen}\"", GC.CollectionCount(gen));
        }
        w.Family("dotnet_gc_pause_ratio", "gauge", "Share of time spent paused in GC since start.");
        w.Sample("dotnet_gc_pause_ratio", "", gc.PauseTimePercentage / 100.0);
    }
}
