using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Hoshino.Diagnostics;
using Hoshino.Egress;
using Hoshino.Ingress;
using Hoshino.S3;

namespace Hoshino.Bench;

/// <summary>
/// Many nodes on one bucket from one process: for each node count, all nodes idle (the per-node idle
/// request rate), then one pair exchanging pings while the rest idle, then every node sending to
/// random peers (the one-way delivery latency as the bucket gets busier).
/// </summary>
internal static class Scale
{
    private static readonly IPNetwork Network = IPNetwork.Parse("fd5e:59b8:f71d:9a3e::/64");

    public static async Task<int> RunAsync(Args args, CancellationToken ct)
    {
        int[] counts = args.GetInts("nodes", "2,10,50");
        var plan = new Plan(
            IdleSeconds: args.GetDouble("idle-seconds", 15),
            TrafficSeconds: args.GetDouble("traffic-seconds", 10),
            Interval: TimeSpan.FromMilliseconds(args.GetDouble("interval-ms", 200)),
            WatchPids: args.GetInts("watch-pids", ""),
            ClockTicks: args.GetInt("clk-tck", 100));
        string prefix = args.Get("prefix");
        string output = args.Get("out");
        // --wire-format v1|v2, as `hoshino up` takes it (run.sh --wire-format passes it to both).
        var egressOptions = new EgressOptions
        {
            WireFormat = args.Get("wire-format", "v2") switch
            {
                "v1" => WireFormat.V1,
                "v2" => WireFormat.V2,
                string other => throw new ArgumentException($"--wire-format {other}: expected v1 or v2"),
            },
        };

        // Each virtual node has an SDK client of its own, as a real node does (its own connection
        // pool, of the daemon's size), whose handler counts that node's HTTP requests.
        S3StoreOptions options = StoreConnection.Options(args, prefix);
        double capacity = await CapacityAsync(options with { KeyPrefix = $"{prefix}capacity/", MaxConnectionsPerServer = CapacityWorkers }, ct);
        Console.Error.WriteLine($"scale: the store serves {capacity:F0} small requests/s (PUT, GET, DELETE of 113 B, {CapacityWorkers} at a time)");
        var results = new List<ScaleResult>();
        foreach (int n in counts)
        {
            ScaleResult result = await RunOneAsync(options with { KeyPrefix = $"{prefix}n{n}/" }, n, plan, egressOptions, ct) with { StoreCapacity = capacity };
            results.Add(result);
            Console.Error.WriteLine(
                $"scale: {n} nodes: idle {result.Idle.ListPerNodePerSecond:F2} LIST/s/node, {result.Idle.HeadPerNodePerSecond:F2} HEAD/s/node (${result.Idle.DollarsPerNodeDay:F3}/node-day); " +
                $"pair p50 {result.Pair.Latency.P50:F1} ms p99 {result.Pair.Latency.P99:F1}; all p50 {result.All.Latency.P50:F1} ms p99 {result.All.Latency.P99:F1} " +
                $"({result.All.Received}/{result.All.Sent}); store CPU {result.All.StoreCpuCores:F2} cores");
        }
        await File.WriteAllTextAsync(output, JsonSerializer.Serialize(results, Json.Options), ct);
        return 0;
    }

    private static async Task<ScaleResult> RunOneAsync(S3StoreOptions store, int n, Plan plan, EgressOptions egressOptions, CancellationToken ct)
    {
        var ingressOptions = new IngressOptions();
        var nodes = new List<VirtualNode>(n);
        var recorder = new Recorder();
        var clock = Stopwatch.StartNew();
        try
        {
            for (int i = 0; i < n; i++)
            {
                var node = new VirtualNode(i, AddressOf(i), Network, metrics => S3PacketStore.Create(store with { Metrics = metrics }), ingressOptions, egressOptions)
                {
                    Delivered = recorder.Record,
                };
                nodes.Add(node);
                node.Start();
            }
            double started = clock.Elapsed.TotalSeconds;

            // Idle: wait until every heartbeat has slowed to --poll-max, then count what idling costs.
            while (nodes.Any(v => v.Metrics.HeartbeatInterval < ingressOptions.PollMax) && clock.Elapsed < TimeSpan.FromSeconds(started + 30))
            {
                await Task.Delay(100, ct);
            }
            double settled = clock.Elapsed.TotalSeconds - started;
            Snapshot idleStart = Snapshot.Take(nodes, plan);
            await Task.Delay(TimeSpan.FromSeconds(plan.IdleSeconds), ct);
            Snapshot idleEnd = Snapshot.Take(nodes, plan);
            IdleResult idle = IdleResult.From(idleStart, idleEnd, n);

            PhaseResult pair = await TrafficAsync(nodes, [0, 1], (s, _) => 1 - s, recorder, plan, ct);
            PhaseResult all = await TrafficAsync(nodes, [.. Enumerable.Range(0, n)], (s, random) =>
            {
                int t = random.Next(n - 1);
                return t >= s ? t + 1 : t;
            }, recorder, plan, ct);
            return new ScaleResult(n, started, settled, idle, pair, all);
        }
        finally
        {
            await Task.WhenAll(nodes.Select(v => v.DisposeAsync().AsTask()));
        }
    }

    /// <summary>Each sender injects one timed packet per interval toward the peer <paramref name="target"/> picks.</summary>
    private static async Task<PhaseResult> TrafficAsync(List<VirtualNode> nodes, int[] senders, Func<int, Random, int> target,
        Recorder recorder, Plan plan, CancellationToken ct)
    {
        recorder.Reset();
        long sent = 0;
        Snapshot start = Snapshot.Take(nodes, plan);
        var deadline = Stopwatch.StartNew();
        TimeSpan length = TimeSpan.FromSeconds(plan.TrafficSeconds);
        await Task.WhenAll(senders.Select(s => Task.Run(async () =>
        {
            var random = new Random(s);
            VirtualNode from = nodes[s];
            await Task.Delay(TimeSpan.FromMilliseconds(random.NextDouble() * plan.Interval.TotalMilliseconds), ct);
            using var timer = new PeriodicTimer(plan.Interval);
            for (int seq = 0; deadline.Elapsed < length; seq++)
            {
                from.Tun.Inject(BenchPackets.Timed(from.Address, nodes[target(s, random)].Address, s, seq));
                Interlocked.Increment(ref sent);
                await timer.WaitForNextTickAsync(ct);
            }
        }, ct)));
        Snapshot end = Snapshot.Take(nodes, plan);
        // Stragglers: everything sent should arrive within a few polls.
        var drain = Stopwatch.StartNew();
        while (recorder.Received < Interlocked.Read(ref sent) && drain.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(20, ct);
        }
        return PhaseResult.From(start, end, senders, Interlocked.Read(ref sent), recorder);
    }

    private const int CapacityWorkers = 32;

    /// <summary>
    /// Requests per second the store serves at most, as the nodes use it: PUT, GET and DELETE of a
    /// one-ping bundle (113 B), 32 cycles at a time, for 3 s. An offered load near this is a store
    /// at its limit, where latency is queueing, whatever the nodes do.
    /// </summary>
    private static async Task<double> CapacityAsync(S3StoreOptions options, CancellationToken ct)
    {
        using var store = S3PacketStore.Create(options);
        byte[] body = new byte[113];
        Random.Shared.NextBytes(body);
        long next = 0;
        Measured cycles = await Floor.RunWorkersAsync(CapacityWorkers, 3, async () =>
        {
            string key = $"{Network.BaseAddress}/capacity/{Interlocked.Increment(ref next):D12}";
            await store.PutAsync(key, body, ct);
            await store.GetAsync(key, 1 << 10, ct);
            await store.DeleteAsync([key], ct);
            return body.Length;
        }, ct);
        return cycles.Ops * 3 / cycles.Seconds;
    }

    private static IPAddress AddressOf(int index)
    {
        byte[] bytes = Network.BaseAddress.GetAddressBytes();
        bytes[13] = 0x10; // ::1000 + index, clear of the two-node run's ::a and ::b
        bytes[14] = (byte)(index >> 8);
        bytes[15] = (byte)index;
        return new IPAddress(bytes);
    }

    private sealed record Plan(double IdleSeconds, double TrafficSeconds, TimeSpan Interval, int[] WatchPids, int ClockTicks);

    private sealed class Recorder
    {
        private ConcurrentBag<double> _latencies = [];
        private long _received;

        public long Received => Interlocked.Read(ref _received);

        public double[] Latencies => [.. _latencies];

        public void Reset()
        {
            _latencies = [];
            Interlocked.Exchange(ref _received, 0);
        }

        public void Record(VirtualNode node, byte[] packet)
        {
            if (BenchPackets.LatencyOf(packet) is { } latency)
            {
                _latencies.Add(latency.TotalMilliseconds);
                Interlocked.Increment(ref _received);
            }
        }
    }

    /// <summary>Per-node request counters and CPU time of this process and the watched store processes.</summary>
    private sealed record Snapshot(long[][] Requests, double Seconds, double BenchCpu, double StoreCpu)
    {
        private static readonly StoreOperation[] Operations = Enum.GetValues<StoreOperation>();

        public static Snapshot Take(List<VirtualNode> nodes, Plan plan) => new(
            [.. nodes.Select(v => Operations.Select(op => v.Metrics.Requests(op)).ToArray())],
            Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency,
            Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds,
            plan.WatchPids.Sum(pid => ProcStat.CpuSeconds(pid, plan.ClockTicks)));

        /// <summary>Requests by operation over <paramref name="nodeIndices"/> since <paramref name="start"/>.</summary>
        public long[] Since(Snapshot start, IEnumerable<int> nodeIndices)
        {
            long[] total = new long[Operations.Length];
            foreach (int i in nodeIndices)
            {
                for (int op = 0; op < Operations.Length; op++)
                {
                    total[op] += Requests[i][op] - start.Requests[i][op];
                }
            }
            return total;
        }

        public static double Dollars(long[] byOperation) =>
            Operations.Sum(op => byOperation[(int)op] * HoshinoMetrics.PriceOf(op));
    }

    /// <summary>One node count's phases; StoreCapacity: small requests per second the store serves at most (<see cref="CapacityAsync"/>).</summary>
    private sealed record ScaleResult(int Nodes, double StartSeconds, double SettleSeconds, IdleResult Idle, PhaseResult Pair, PhaseResult All,
        double StoreCapacity = double.NaN);

    private sealed record IdleResult(double Seconds, double ListPerNodePerSecond, double HeadPerNodePerSecond, double RequestsPerNodePerSecond, double DollarsPerNodeDay,
        double BenchCpuCores, double StoreCpuCores)
    {
        public static IdleResult From(Snapshot start, Snapshot end, int n)
        {
            double seconds = end.Seconds - start.Seconds;
            long[] requests = end.Since(start, Enumerable.Range(0, n));
            return new IdleResult(seconds,
                requests[(int)StoreOperation.List] / seconds / n,
                requests[(int)StoreOperation.Head] / seconds / n,
                requests.Sum() / seconds / n,
                Snapshot.Dollars(requests) / seconds / n * 86400,
                (end.BenchCpu - start.BenchCpu) / seconds,
                (end.StoreCpu - start.StoreCpu) / seconds);
        }
    }

    private sealed record PhaseResult(int Senders, double Seconds, long Sent, long Received, Summary Latency,
        Dictionary<string, long> Requests, double RequestsPerActiveNodePerSecond, double RequestsPerPacket, double BenchCpuCores, double StoreCpuCores)
    {
        public static PhaseResult From(Snapshot start, Snapshot end, int[] senders, long sent, Recorder recorder)
        {
            double seconds = end.Seconds - start.Seconds;
            long[] requests = end.Since(start, Enumerable.Range(0, start.Requests.Length));
            long[] active = end.Since(start, senders);
            return new PhaseResult(senders.Length, seconds, sent, recorder.Received, Summary.Of(recorder.Latencies),
                Enum.GetValues<StoreOperation>().ToDictionary(op => op.ToString().ToLowerInvariant(), op => requests[(int)op]),
                active.Sum() / seconds / senders.Length,
                sent == 0 ? double.NaN : requests.Sum() / (double)sent,
                (end.BenchCpu - start.BenchCpu) / seconds,
                (end.StoreCpu - start.StoreCpu) / seconds);
        }
    }
}

/// <summary>/proc/PID/stat and /proc/PID/status of other processes.</summary>
internal static class ProcStat
{
    /// <summary>utime + stime (fields 14 and 15) in seconds; 0 when the process is gone.</summary>
    public static double CpuSeconds(int pid, int clockTicks)
    {
        try
        {
            return CpuSecondsOf(File.ReadAllText($"/proc/{pid}/stat"), clockTicks);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public static double CpuSecondsOf(string stat, int clockTicks)
    {
        // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / (double)clockTicks;
    }

    /// <summary>A "Name:   123 kB" line of /proc/PID/status, in bytes; NaN when absent.</summary>
    public static double StatusBytes(string status, string name)
    {
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                string[] parts = line[(name.Length + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024.0;
            }
        }
        return double.NaN;
    }
}
