using System.Diagnostics;
using System.Globalization;
using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.UnitTests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Hoshino.UnitTests.Diagnostics;

public sealed class HoshinoMetricsTests
{
    private readonly HoshinoMetrics _metrics = new(TimeProvider.System, "1.2.3-test");

    [Theory]
    [InlineData("hoshino_packets_total", "counter")]
    [InlineData("hoshino_bytes_total", "counter")]
    [InlineData("hoshino_bundles_total", "counter")]
    [InlineData("hoshino_dropped_packets_total", "counter")]
    [InlineData("hoshino_ignored_packets_total", "counter")]
    [InlineData("hoshino_rejected_objects_total", "counter")]
    [InlineData("hoshino_s3_requests_total", "counter")]
    [InlineData("hoshino_s3_errors_total", "counter")]
    [InlineData("hoshino_s3_retries_total", "counter")]
    [InlineData("hoshino_s3_request_duration_seconds", "histogram")]
    [InlineData("hoshino_s3_estimated_cost_dollars_total", "counter")]
    [InlineData("hoshino_bundle_packets", "histogram")]
    [InlineData("hoshino_bundle_bytes", "histogram")]
    [InlineData("hoshino_egress_queue_depth", "gauge")]
    [InlineData("hoshino_heartbeat_interval_seconds", "gauge")]
    [InlineData("hoshino_stream_probes_total", "counter")]
    [InlineData("hoshino_stream_holes_skipped_total", "counter")]
    [InlineData("hoshino_stream_late_deliveries_total", "counter")]
    [InlineData("hoshino_streams", "gauge")]
    [InlineData("hoshino_peer_packets_total", "counter")]
    [InlineData("hoshino_peer_bytes_total", "counter")]
    [InlineData("hoshino_peer_round_trip_seconds", "gauge")]
    [InlineData("hoshino_build_info", "gauge")]
    [InlineData("hoshino_uptime_seconds", "gauge")]
    [InlineData("process_start_time_seconds", "gauge")]
    [InlineData("process_threads", "gauge")]
    [InlineData("process_resident_memory_bytes", "gauge")]
    [InlineData("dotnet_gc_heap_size_bytes", "gauge")]
    [InlineData("dotnet_gc_collections_total", "counter")]
    public void WritePrometheus_Always_DeclaresFamilyOnceWithType(string family, string type)
    {
        string page = _metrics.WritePrometheus();

        Assert.Single(PrometheusText.Lines(page), l => l == $"# TYPE {family} {type}");
        Assert.Single(PrometheusText.Lines(page), l => l.StartsWith($"# HELP {family} ", StringComparison.Ordinal));
    }

    /// <summary>
    /// Families, types, HELP texts and label sets are a contract (deploy/grafana, README, bench/).
    /// When a change to them is meant, run the test with HOSHINO_UPDATE_EXPOSITION=1 to rewrite
    /// the pinned file, and update every reader of the page in the same commit.
    /// </summary>
    [Fact]
    public void WritePrometheus_Shape_MatchesThePinnedExposition()
    {
        string shape = MetricsExposition.Shape(_metrics.WritePrometheus());
        if (Environment.GetEnvironmentVariable("HOSHINO_UPDATE_EXPOSITION") == "1")
        {
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(SourceFile())!, MetricsExposition.FileName), shape);
        }

        string pinned = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Diagnostics", MetricsExposition.FileName));

        Assert.True(pinned == shape,
            $"the /metrics page changed shape ({MetricsExposition.FirstDifference(pinned, shape)}); if that is meant, see this test's comment");
    }

    private static string SourceFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;

    [Fact]
    public void WritePrometheus_EveryLine_WellFormedAndFamilyDeclaredFirst()
    {
        string page = _metrics.WritePrometheus();

        var declared = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in PrometheusText.Lines(page))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ');
                Assert.True(declared.TryAdd(parts[2], parts[3]), $"second TYPE line for {parts[2]}");
                continue;
            }
            if (line.StartsWith('#'))
            {
                Assert.StartsWith("# HELP ", line, StringComparison.Ordinal);
                continue;
            }
            Assert.Matches(SampleLine, line);
            Assert.Contains(FamilyOf(line, declared), declared.Keys);
        }
        Assert.EndsWith("\n", page, StringComparison.Ordinal);
    }

    // BUG: HoshinoMetrics.WritePrometheus writes the HELP/TYPE lines of hoshino_packets_total and
    // hoshino_bytes_total together and then both families' samples, so the packets family's lines
    // are not "one single group" as the text format requires (bytes' HELP/TYPE sit inside it).
    [Fact]
    public void WritePrometheus_EveryFamily_IsOneContiguousGroup()
    {
        string page = _metrics.WritePrometheus();

        var declared = new Dictionary<string, string>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        foreach (string line in PrometheusText.Lines(page))
        {
            string family = line.StartsWith('#') ? line.Split(' ')[2] : FamilyOf(line, declared);
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                declared[family] = line.Split(' ')[3];
            }
            if (family != current)
            {
                Assert.DoesNotContain(family, finished);
                if (current is not null)
                {
                    finished.Add(current);
                }
                current = family;
            }
        }
    }

    [Fact]
    public void WritePrometheus_AfterRecording_ShowsValuesUnderTheirLabels()
    {
        _metrics.PacketsMoved(Direction.Egress, 3, 300);
        _metrics.PacketsMoved(Direction.Egress, 2, 50);
        _metrics.PacketsMoved(Direction.Ingress, 7, 700);
        _metrics.PacketsDropped(Direction.Egress, DropReason.QueueFull, 4);
        _metrics.PacketsDropped(Direction.Ingress, DropReason.TunWriteFailed);
        _metrics.PacketIgnored(IgnoreReason.NotIpv6);
        _metrics.PacketIgnored(IgnoreReason.NotInNetwork);
        _metrics.PacketIgnored(IgnoreReason.NotInNetwork);
        _metrics.ObjectRejected(RejectReason.WrongSource);
        _metrics.ObjectRejected(RejectReason.TooOld);
        _metrics.ObjectRejected(RejectReason.TooOld);
        _metrics.StoreRequest(StoreOperation.Put, TimeSpan.FromMilliseconds(2));
        _metrics.StoreRequest(StoreOperation.Put, TimeSpan.FromMilliseconds(2));
        _metrics.StoreError(StoreOperation.Put, StoreErrorKind.AccessDenied);
        _metrics.StoreRequest(StoreOperation.Get, TimeSpan.FromMilliseconds(1));
        _metrics.StoreError(StoreOperation.Get, StoreErrorKind.Transient);
        _metrics.StoreRetry(StoreOperation.Put);
        _metrics.StoreRetry(StoreOperation.Put);
        _metrics.DuplicateSuppressed();
        _metrics.BundleMade(Direction.Egress, 5, 350);
        _metrics.HeartbeatInterval = TimeSpan.FromMilliseconds(250);
        _metrics.ObserveEgressQueue(() => 42);

        string page = _metrics.WritePrometheus();

        Assert.Equal(5, PrometheusText.Value(page, "hoshino_packets_total{direction=\"egress\"}"));
        Assert.Equal(7, PrometheusText.Value(page, "hoshino_packets_total{direction=\"ingress\"}"));
        Assert.Equal(350, PrometheusText.Value(page, "hoshino_bytes_total{direction=\"egress\"}"));
        Assert.Equal(700, PrometheusText.Value(page, "hoshino_bytes_total{direction=\"ingress\"}"));
        Assert.Equal(1, PrometheusText.Value(page, "hoshino_bundles_total{direction=\"egress\"}"));
        Assert.Equal(0, PrometheusText.Value(page, "hoshino_bundles_total{direction=\"ingress\"}"));
        Assert.Equal(4, PrometheusText.Value(page, "hoshino_dropped_packets_total{direction=\"egress\",reason=\"queue_full\"}"));
        Assert.Equal(1, PrometheusText.Value(page, "hoshino_dropped_packets_total{direction=\"ingress\",reason=\"tun_write_failed\"}"));
        Assert.Equal(0, PrometheusText.Value(page, "hoshino_dropped_packets_total{direction=\"egress\",reason=\"expired\"}"));
        Assert.Equal(1, PrometheusText.Value(page, "hoshino_ignored_packets_total{reason=\"not_ipv6\"}"));
        Assert.Equal(2, PrometheusText.Value(page, "hoshino_ignored_packets_total{reason=\"not_in_network\"}"));
        Assert.Equal(0, PrometheusText.Value(page, "hoshino_ignored_packets_total{reason=\"not_from_self\"}"));
        Assert.Equal(1, PrometheusText.Value(page, "hoshino_rejected_objects_total{reason=\"wrong_source\"}"));
        Assert.Equal(2, PrometheusText.Value(page, "hoshino_rejected_objects_total{reason=\"too_old\"}"));
        Assert.DoesNotContain("reason=\"none\"", page, StringComparison.Ordinal);
        Assert.Equal(2, PrometheusText.Value(page, "hoshino_s3_requests_total{operation=\"put\"}"));
        Assert.Equal(1, PrometheusText.Value(page, "hoshino_s3_requests_total{operation=\"get\"}"));
        Assert.Equal(0, PrometheusText.Value(page, "hoshino_s3_requests_total{operation=\"delete\"}"));
        Assert.Equal(1, PrometheusText.Value(page, "hoshino_s3_errors_total{operation=\"put\",kind=\"access_denied\"}"));
        Assert.Equal(1, PrometheusText.Value(page, "hoshino_s3_errors_total{operation=\"get\",kind=\"transient\"}"));
        Assert.Equal(0, PrometheusText.Value(page, "hoshino_s3_errors_total{operation=\"list\",kind=\"transient\"}"));
        Assert.Equal(2, PrometheusText.Value(page, "hoshino_s3_retries_total{operation=\"put\"}"));
        Assert.Equal(0, PrometheusText.Value(page, "hoshino_s3_retries_total{operation=\"get\"}"));
        Assert.Equal(1, PrometheusText.Value(page, "hoshino_duplicate_objects_total"));
        Assert.Equal(0.25, PrometheusText.Value(page, "hoshino_heartbeat_interval_seconds"));
        Assert.Equal(42, PrometheusText.Value(page, "hoshino_egress_queue_depth"));
        Assert.Equal(1, PrometheusText.Value(page, "hoshino_build_info{version=\"1.2.3-test\",runtime=\"" + Environment.Version + "\"}"));
    }

    [Fact]
    public void Accessors_AfterRecording_MatchRecordedCounts()
    {
        _metrics.PacketsMoved(Direction.Ingress, 2, 20);
        _metrics.PacketsDropped(Direction.Egress, DropReason.Expired, 3);
        _metrics.PacketIgnored(IgnoreReason.NotFromSelf);
        _metrics.ObjectRejected(RejectReason.Malformed);
        _metrics.StoreRequest(StoreOperation.List, TimeSpan.Zero);
        _metrics.StoreError(StoreOperation.List, StoreErrorKind.NoSuchBucket);

        Assert.Equal(2, _metrics.Packets(Direction.Ingress));
        Assert.Equal(0, _metrics.Packets(Direction.Egress));
        Assert.Equal(20, _metrics.Bytes(Direction.Ingress));
        Assert.Equal(3, _metrics.Dropped(Direction.Egress, DropReason.Expired));
        Assert.Equal(0, _metrics.Dropped(Direction.Ingress, DropReason.Expired));
        Assert.Equal(1, _metrics.Ignored(IgnoreReason.NotFromSelf));
        Assert.Equal(1, _metrics.Rejected(RejectReason.Malformed));
        Assert.Equal(1, _metrics.Requests(StoreOperation.List));
        Assert.Equal(1, _metrics.Errors(StoreOperation.List, StoreErrorKind.NoSuchBucket));
    }

    [Fact]
    public void WritePrometheus_LatencyHistogram_BucketsCumulativeWithSumAndCount()
    {
        _metrics.StoreRequest(StoreOperation.Put, TimeSpan.FromMicroseconds(100));
        _metrics.StoreRequest(StoreOperation.Put, TimeSpan.FromMicroseconds(250)); // on a bound: counted in it (le)
        _metrics.StoreRequest(StoreOperation.Put, TimeSpan.FromMicroseconds(300));
        _metrics.StoreRequest(StoreOperation.Put, TimeSpan.FromMilliseconds(3));
        _metrics.StoreRequest(StoreOperation.Put, TimeSpan.FromSeconds(30));      // beyond the last bound
        _metrics.StoreRequest(StoreOperation.Get, TimeSpan.FromMilliseconds(1));

        string page = _metrics.WritePrometheus();

        List<(string Series, double Value)> buckets = PrometheusText.Samples(page, "hoshino_s3_request_duration_seconds_bucket{operation=\"put\",");
        Assert.True(buckets.Count > 5);
        for (int i = 1; i < buckets.Count; i++)
        {
            Assert.True(buckets[i].Value >= buckets[i - 1].Value, $"{buckets[i].Series} is below {buckets[i - 1].Series}");
            Assert.True(Le(buckets[i].Series) > Le(buckets[i - 1].Series), "bounds must increase");
        }
        Assert.Equal(double.PositiveInfinity, Le(buckets[^1].Series));
        Assert.Equal(2, Bucket(page, "put", "0.00025"));
        Assert.Equal(3, Bucket(page, "put", "0.0005"));
        Assert.Equal(3, Bucket(page, "put", "0.002"));
        Assert.Equal(4, Bucket(page, "put", "0.005"));
        Assert.Equal(4, Bucket(page, "put", "10"));
        Assert.Equal(5, Bucket(page, "put", "+Inf"));
        Assert.Equal(5, PrometheusText.Value(page, "hoshino_s3_request_duration_seconds_count{operation=\"put\"}"));
        Assert.Equal(30.00365, PrometheusText.Value(page, "hoshino_s3_request_duration_seconds_sum{operation=\"put\"}"), 9);
        Assert.Equal(0, Bucket(page, "get", "0.0005"));
        Assert.Equal(1, Bucket(page, "get", "0.001"));
        Assert.Equal(0, Bucket(page, "list", "+Inf"));
    }

    [Fact]
    public void WritePrometheus_BundleHistograms_CountEgressOnly()
    {
        _metrics.BundleMade(Direction.Egress, 1, 100);
        _metrics.BundleMade(Direction.Egress, 3, 2000);
        _metrics.BundleMade(Direction.Egress, 3000, 5_000_000);
        _metrics.BundleMade(Direction.Ingress, 9, 9000);

        string page = _metrics.WritePrometheus();

        Assert.Equal(1, PrometheusText.Value(page, "hoshino_bundle_packets_bucket{le=\"1\"}"));
        Assert.Equal(1, PrometheusText.Value(page, "hoshino_bundle_packets_bucket{le=\"2\"}"));
        Assert.Equal(2, PrometheusText.Value(page, "hoshino_bundle_packets_bucket{le=\"4\"}"));
        Assert.Equal(2, PrometheusText.Value(page, "hoshino_bundle_packets_bucket{le=\"1024\"}"));
        Assert.Equal(3, PrometheusText.Value(page, "hoshino_bundle_packets_bucket{le=\"+Inf\"}"));
        Assert.Equal(3004, PrometheusText.Value(page, "hoshino_bundle_packets_sum"));
        Assert.Equal(3, PrometheusText.Value(page, "hoshino_bundle_packets_count"));
        Assert.Equal(1, PrometheusText.Value(page, "hoshino_bundle_bytes_bucket{le=\"128\"}"));
        Assert.Equal(2, PrometheusText.Value(page, "hoshino_bundle_bytes_bucket{le=\"4096\"}"));
        Assert.Equal(3, PrometheusText.Value(page, "hoshino_bundle_bytes_bucket{le=\"16777216\"}"));
        Assert.Equal(5_002_100, PrometheusText.Value(page, "hoshino_bundle_bytes_sum"));
        Assert.Equal(3, PrometheusText.Value(page, "hoshino_bundles_total{direction=\"egress\"}"));
        Assert.Equal(1, PrometheusText.Value(page, "hoshino_bundles_total{direction=\"ingress\"}"));
    }

    [Theory]
    [InlineData(StoreOperation.Put, 0.005 / 1000)]
    [InlineData(StoreOperation.List, 0.005 / 1000)]
    [InlineData(StoreOperation.Get, 0.0004 / 1000)]
    [InlineData(StoreOperation.Delete, 0.0)]
    public void PriceOf_Operation_IsAwsListPrice(StoreOperation operation, double dollars)
    {
        Assert.Equal(dollars, HoshinoMetrics.PriceOf(operation), 15);
    }

    [Fact]
    public void EstimatedCostDollars_MixedRequests_SumsListPrices()
    {
        Record(StoreOperation.Put, 2000);
        Record(StoreOperation.List, 1000);
        Record(StoreOperation.Get, 5000);
        Record(StoreOperation.Delete, 7000);

        // 3,000 × $0.005/1,000 + 5,000 × $0.0004/1,000 + deletes free
        Assert.Equal(0.017, _metrics.EstimatedCostDollars(), 12);
        Assert.Equal(0.017, PrometheusText.Value(_metrics.WritePrometheus(), "hoshino_s3_estimated_cost_dollars_total"), 12);
    }

    [Fact]
    public void EstimatedCostDollars_FailedRequestsToo_AreBilled()
    {
        Record(StoreOperation.Put, 1000, StoreErrorKind.Transient);

        Assert.Equal(0.005, _metrics.EstimatedCostDollars(), 12);
    }

    [Fact]
    public void WritePrometheus_Uptime_FromProviderClock()
    {
        DateTimeOffset started = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        var time = new FakeTimeProvider(started.AddSeconds(42));
        var metrics = new HoshinoMetrics(time, "x");

        string page = metrics.WritePrometheus();

        Assert.Equal(42, PrometheusText.Value(page, "hoshino_uptime_seconds"), 3);
        Assert.Equal(started.ToUnixTimeMilliseconds() / 1000.0, PrometheusText.Value(page, "process_start_time_seconds"), 3);
    }

    [Fact]
    public void WritePrometheus_VersionWithQuotes_Escaped()
    {
        var metrics = new HoshinoMetrics(TimeProvider.System, "1.0 \"beta\"\\x\nnext");

        string page = metrics.WritePrometheus();

        Assert.Contains("version=\"1.0 \\\"beta\\\"\\\\x\\nnext\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public void Counters_ConcurrentRecording_NoLostUpdates()
    {
        Parallel.For(0, 100_000, i =>
        {
            _metrics.PacketsMoved(Direction.Egress, 1, 10);
            _metrics.StoreRequest(StoreOperation.Get, TimeSpan.FromMicroseconds(i % 5000));
        });

        Assert.Equal(100_000, _metrics.Packets(Direction.Egress));
        Assert.Equal(1_000_000, _metrics.Bytes(Direction.Egress));
        Assert.Equal(100_000, PrometheusText.Value(_metrics.WritePrometheus(), "hoshino_s3_request_duration_seconds_count{operation=\"get\"}"));
    }

    private const string SampleLine = @"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*=""([^""\\]|\\.)*"",?)*\})? \S+$";

    /// <summary>The family a sample line belongs to: its name, less a histogram suffix when that names a declared histogram.</summary>
    private static string FamilyOf(string line, Dictionary<string, string> declared)
    {
        string name = line[..line.IndexOfAny(['{', ' '])];
        foreach (string suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && declared.TryGetValue(name[..^suffix.Length], out string? type) && type == "histogram")
            {
                return name[..^suffix.Length];
            }
        }
        return name;
    }

    private void Record(StoreOperation operation, int count, StoreErrorKind? error = null)
    {
        for (int i = 0; i < count; i++)
        {
            _metrics.StoreRequest(operation, TimeSpan.FromMilliseconds(1));
            if (error is { } kind)
            {
                _metrics.StoreError(operation, kind);
            }
        }
    }

    private static double Bucket(string page, string operation, string le) =>
        PrometheusText.Value(page, $"hoshino_s3_request_duration_seconds_bucket{{operation=\"{operation}\",le=\"{le}\"}}");

    private static double Le(string series)
    {
        int start = series.IndexOf("le=\"", StringComparison.Ordinal) + 4;
        string text = series[start..series.IndexOf('"', start)];
        return text == "+Inf" ? double.PositiveInfinity : double.Parse(text, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Latency_Quantiles_AreTheUpperBoundsOfTheirBuckets()
    {
        Assert.Null(_metrics.Latency(StoreOperation.Get, 0.5)); // nothing measured yet
        for (int i = 0; i < 98; i++)
        {
            _metrics.StoreRequest(StoreOperation.Get, TimeSpan.FromMilliseconds(1.5));
        }
        _metrics.StoreRequest(StoreOperation.Get, TimeSpan.FromMilliseconds(8));
        _metrics.StoreRequest(StoreOperation.Get, TimeSpan.FromSeconds(30)); // past the last bucket

        Assert.Equal(TimeSpan.FromMilliseconds(2), _metrics.Latency(StoreOperation.Get, 0.5));
        Assert.Equal(TimeSpan.FromMilliseconds(10), _metrics.Latency(StoreOperation.Get, 0.99));
        Assert.Equal(TimeSpan.FromSeconds(10), _metrics.Latency(StoreOperation.Get, 1));
        Assert.Null(_metrics.Latency(StoreOperation.Put, 0.99));
    }

    [Fact]
    public void StreamFigures_Rendered()
    {
        _metrics.StreamProbed(hit: true);
        _metrics.StreamProbed(hit: false);
        _metrics.StreamProbed(hit: false);
        _metrics.HolesSkipped(3);
        _metrics.LateDelivered(1);
        _metrics.StreamCount = 7;
        _metrics.ObjectRejected(RejectReason.TooManyEpochs);

        string page = _metrics.WritePrometheus();

        Assert.Equal(1, PrometheusText.Value(page, "hoshino_stream_probes_total{result=\"hit\"}"));
        Assert.Equal(2, PrometheusText.Value(page, "hoshino_stream_probes_total{result=\"miss\"}"));
        Assert.Equal(3, PrometheusText.Value(page, "hoshino_stream_holes_skipped_total"));
        Assert.Equal(1, PrometheusText.Value(page, "hoshino_stream_late_deliveries_total"));
        Assert.Equal(7, PrometheusText.Value(page, "hoshino_streams"));
        Assert.Equal(1, PrometheusText.Value(page, "hoshino_rejected_objects_total{reason=\"too_many_epochs\"}"));
    }

    [Fact]
    public void WritePrometheus_ObservedPeers_OneSeriesPerRowEachWay_RoundTripOnlyWhereKnown()
    {
        var traffic = new Hoshino.Peers.PeerTraffic();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        traffic.Sent(TestPackets.Peer16, 100, now);
        traffic.Received(TestPackets.Peer16, 60, now);
        traffic.EchoSent(TestPackets.Peer16, 1, 1, now);
        traffic.EchoReplied(TestPackets.Peer16, 1, 1, now.AddMilliseconds(25));
        traffic.Sent(TestPackets.OtherPeer16, 7, now);
        var beta = new Hoshino.Peers.PeerRecord("be\"ta", TestPackets.Peer, "1.0", now, false, now);
        _metrics.ObservePeers(() => Hoshino.Peers.PeerSamples.Build([beta], traffic.Snapshot(), TestPackets.Self16));

        string page = _metrics.WritePrometheus();

        Assert.Equal(1, PrometheusText.Value(page, "hoshino_peer_packets_total{peer=\"be\\\"ta\",direction=\"egress\"}"));
        Assert.Equal(60, PrometheusText.Value(page, "hoshino_peer_bytes_total{peer=\"be\\\"ta\",direction=\"ingress\"}"));
        Assert.Equal(7, PrometheusText.Value(page, "hoshino_peer_bytes_total{peer=\"other\",direction=\"egress\"}"));
        Assert.Equal(0.025, PrometheusText.Value(page, "hoshino_peer_round_trip_seconds{peer=\"be\\\"ta\"}"), 6);
        Assert.DoesNotContain("hoshino_peer_round_trip_seconds{peer=\"other\"}", page, StringComparison.Ordinal);
    }
}
