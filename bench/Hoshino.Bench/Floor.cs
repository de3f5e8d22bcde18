using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Hoshino.Packets;
using Hoshino.S3;
using Hoshino.Store;

namespace Hoshino.Bench;

/// <summary>
/// The store's own floor, through <see cref="S3PacketStore"/> (the daemon's SDK client, settings and
/// request shapes: PutObject without chunking, ListObjectsV2 of an inbox, GetObject, DeleteObjects):
/// sequential latency per operation and object size, then concurrent throughput.
/// </summary>
internal static class Floor
{
    private static readonly Address16 Destination = Address16.From(IPAddress.Parse("fd5e:59b8:f71d:9a3e::f1"));
    private static readonly Address16 Source = Address16.From(IPAddress.Parse("fd5e:59b8:f71d:9a3e::f0"));
    private const int Warmup = 10;
    private const int MaxObjectBytes = 8 << 20;

    public static async Task<int> RunAsync(Args args, CancellationToken cancellationToken)
    {
        string prefix = args.Get("prefix");
        int samples = args.GetInt("samples", 100);
        double seconds = args.GetDouble("seconds", 3);
        int concurrency = args.GetInt("concurrency", 16);
        int[] sizes = args.GetInts("sizes", "113,1048576");
        int[] throughputSizes = args.GetInts("throughput-sizes", "1048576");
        string output = args.Get("out");

        using S3PacketStore store = S3PacketStore.Create(StoreConnection.Options(args, prefix));
        var ids = new MonotonicUlid(TimeProvider.System);
        var result = new FloorResult();
        var clock = Stopwatch.StartNew();

        foreach (int size in sizes)
        {
            result.Latency.Add(await MeasureLatencyAsync(store, ids, size, samples, cancellationToken));
            Console.Error.WriteLine($"floor: latency {size} B: {Describe(result.Latency[^1])}");
        }
        foreach (int size in throughputSizes)
        {
            foreach (Throughput t in await MeasureThroughputAsync(store, ids, size, concurrency, seconds, cancellationToken))
            {
                result.Throughput.Add(t);
                Console.Error.WriteLine($"floor: {t.Kind} {t.Size} B x{t.Concurrency}: {t.OpsPerSecond:F0}/s, {t.MibPerSecond:F1} MiB/s, p50 {t.Latency.P50:F2} ms");
            }
        }
        await RemoveAllAsync(store, cancellationToken);
        result.Seconds = clock.Elapsed.TotalSeconds;
        await File.WriteAllTextAsync(output, JsonSerializer.Serialize(result, Json.Options), cancellationToken);
        return 0;
    }

    private static string Describe(LatencyBySize l) =>
        $"PUT {l.Put.P50:F2}/{l.Put.P99:F2} LIST {l.List.P50:F2}/{l.List.P99:F2} GET {l.Get.P50:F2}/{l.Get.P99:F2} DELETE {l.Delete.P50:F2}/{l.Delete.P99:F2} ms (p50/p99)";

    /// <summary>
    /// One ping's worth of store work, repeated: PUT a bundle into an inbox, LIST the inbox (which then
    /// holds that one object), GET it, DELETE it, LIST the now empty inbox (an idle poll).
    /// </summary>
    private static async Task<LatencyBySize> MeasureLatencyAsync(S3PacketStore store, MonotonicUlid ids, int size, int samples, CancellationToken ct)
    {
        byte[] body = RandomBody(size);
        string inbox = ObjectKey.InboxOf(Destination);
        var put = new Series();
        var list = new Series();
        var get = new Series();
        var delete = new Series();
        var listEmpty = new Series();
        for (int i = 0; i < Warmup + samples; i++)
        {
            bool record = i >= Warmup;
            string key = new ObjectKey(Destination, Source, ids.Next()).ToString();
            var clock = new OpClock();
            await store.PutAsync(key, body, ct);
            clock.Lap(put, record);
            IReadOnlyList<StoredObject> listed = await store.ListAsync(inbox, 1000, ct);
            clock.Lap(list, record);
            byte[]? read = await store.GetAsync(key, MaxObjectBytes, ct);
            clock.Lap(get, record);
            await store.DeleteAsync([key], ct);
            clock.Lap(delete, record);
            await store.ListAsync(inbox, 1000, ct);
            clock.Lap(listEmpty, record);
            if (listed.Count != 1 || read?.Length != size)
            {
                throw new InvalidOperationException($"floor: store misbehaved (listed {listed.Count}, read {read?.Length} of {size} bytes)");
            }
        }
        return new LatencyBySize(size, Summary.Of(put.Ms), Summary.Of(list.Ms), Summary.Of(get.Ms), Summary.Of(delete.Ms), Summary.Of(listEmpty.Ms),
            new Allocations(put.MeanBytes, list.MeanBytes, get.MeanBytes, delete.MeanBytes, listEmpty.MeanBytes));
    }

    private sealed class Series
    {
        public List<double> Ms { get; } = [];
        public long Bytes { get; set; }
        public double MeanBytes => Ms.Count == 0 ? double.NaN : Bytes / (double)Ms.Count;
    }

    /// <summary>
    /// Times consecutive operations and counts what each allocated (process-wide, precise: the loop
    /// runs one request at a time, so nearly all of it is the request's, the SDK's included).
    /// The allocation counter is read outside the timed span.
    /// </summary>
    private struct OpClock()
    {
        private long _start = Stopwatch.GetTimestamp();
        private long _allocated = GC.GetTotalAllocatedBytes(precise: true);

        public void Lap(Series series, bool record)
        {
            long now = Stopwatch.GetTimestamp();
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            if (record)
            {
                series.Ms.Add(Stopwatch.GetElapsedTime(_start, now).TotalMilliseconds);
                series.Bytes += allocated - _allocated;
            }
            _allocated = GC.GetTotalAllocatedBytes(precise: true);
            _start = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>
    /// PUT with <paramref name="concurrency"/> and with one in flight (what the daemon does per
    /// destination), GET of what was written, and a pipe: writers PUT while readers GET and delete
    /// the same objects, which is the work of moving bytes from one node to another.
    /// </summary>
    private static async Task<List<Throughput>> MeasureThroughputAsync(S3PacketStore store, MonotonicUlid ids, int size, int concurrency,
        double seconds, CancellationToken ct)
    {
        byte[] body = RandomBody(size);
        var results = new List<Throughput>();
        var written = new ConcurrentQueue<string>();

        // Warm the connection pool so the first phase does not pay for connecting.
        await RunWorkersAsync(concurrency, 0.3, async () => { string k = NewKey(ids); await store.PutAsync(k, body, ct); written.Enqueue(k); return size; }, ct);

        results.Add(Throughput.From("put", size, concurrency, await RunWorkersAsync(concurrency, seconds, async () =>
        {
            string key = NewKey(ids);
            await store.PutAsync(key, body, ct);
            written.Enqueue(key);
            return size;
        }, ct)));
        results.Add(Throughput.From("put", size, 1, await RunWorkersAsync(1, seconds, async () =>
        {
            string key = NewKey(ids);
            await store.PutAsync(key, body, ct);
            written.Enqueue(key);
            return size;
        }, ct)));

        string[] keys = [.. written];
        int next = -1;
        results.Add(Throughput.From("get", size, concurrency, await RunWorkersAsync(concurrency, seconds, async () =>
        {
            string key = keys[(int)((uint)Interlocked.Increment(ref next) % (uint)keys.Length)];
            byte[]? read = await store.GetAsync(key, MaxObjectBytes, ct);
            return read?.Length ?? 0;
        }, ct)));
        await DeleteAsync(store, keys, ct);

        results.Add(await MeasurePipeAsync(store, ids, body, concurrency, seconds, ct));
        return results;
    }

    private static async Task<Throughput> MeasurePipeAsync(S3PacketStore store, MonotonicUlid ids, byte[] body, int concurrency,
        double seconds, CancellationToken ct)
    {
        var pending = Channel.CreateBounded<string>(4 * concurrency);
        var done = new ConcurrentQueue<string>();
        int half = Math.Max(1, concurrency / 2);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(TimeSpan.FromSeconds(seconds));
        Task writers = Task.WhenAll(Enumerable.Range(0, half).Select(_ => Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    string key = NewKey(ids);
                    await store.PutAsync(key, body, ct);
                    await pending.Writer.WriteAsync(key, stop.Token);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }, ct)));
        _ = writers.ContinueWith(_ => pending.Writer.TryComplete(), TaskScheduler.Default);
        Measured measured = await RunReadersAsync();
        await writers;
        await DeleteAsync(store, [.. done], ct);
        return Throughput.From("pipe", body.Length, concurrency, measured);

        async Task<Measured> RunReadersAsync()
        {
            var latencies = new ConcurrentBag<double>();
            long bytes = 0, ops = 0;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, half).Select(_ => Task.Run(async () =>
            {
                var batch = new List<string>();
                await foreach (string key in pending.Reader.ReadAllAsync(ct))
                {
                    long t = Stopwatch.GetTimestamp();
                    byte[]? read = await store.GetAsync(key, MaxObjectBytes, ct);
                    latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                    Interlocked.Add(ref bytes, read?.Length ?? 0);
                    Interlocked.Increment(ref ops);
                    batch.Add(key);
                    if (batch.Count == 16)
                    {
                        await store.DeleteAsync(batch, ct);
                        batch.Clear();
                    }
                }
                foreach (string key in batch)
                {
                    done.Enqueue(key);
                }
            }, ct)));
            return new Measured(ops, bytes, clock.Elapsed.TotalSeconds, [.. latencies]);
        }
    }

    internal static async Task<Measured> RunWorkersAsync(int workers, double seconds, Func<Task<int>> operation, CancellationToken ct)
    {
        var latencies = new ConcurrentBag<double>();
        long bytes = 0, ops = 0;
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < deadline)
            {
                long t = Stopwatch.GetTimestamp();
                int n = await operation();
                latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                Interlocked.Add(ref bytes, n);
                Interlocked.Increment(ref ops);
            }
        }, ct)));
        return new Measured(ops, bytes, clock.Elapsed.TotalSeconds, [.. latencies]);
    }

    private static async Task DeleteAsync(S3PacketStore store, IReadOnlyList<string> keys, CancellationToken ct)
    {
        foreach (string[] chunk in keys.Chunk(1000))
        {
            await store.DeleteAsync(chunk, ct);
        }
    }

    private static async Task RemoveAllAsync(S3PacketStore store, CancellationToken ct)
    {
        while (true)
        {
            IReadOnlyList<StoredObject> left = await store.ListAsync("", 1000, ct);
            if (left.Count == 0)
            {
                return;
            }
            await store.DeleteAsync([.. left.Select(o => o.Key)], ct);
        }
    }

    private static string NewKey(MonotonicUlid ids) => new ObjectKey(Destination, Source, ids.Next()).ToString();

    private static byte[] RandomBody(int size)
    {
        byte[] body = new byte[size];
        Random.Shared.NextBytes(body);
        return body;
    }
}

internal sealed record Measured(long Ops, long Bytes, double Seconds, double[] LatenciesMs);

internal sealed class FloorResult
{
    public List<LatencyBySize> Latency { get; init; } = [];
    public List<Throughput> Throughput { get; init; } = [];
    public double Seconds { get; set; }
}

internal sealed record LatencyBySize(int Size, Summary Put, Summary List, Summary Get, Summary Delete, Summary ListEmpty, Allocations? Allocated = null);

/// <summary>Mean bytes allocated per request, by operation (client side: SDK and store).</summary>
internal sealed record Allocations(double Put, double List, double Get, double Delete, double ListEmpty);

internal sealed record Throughput(string Kind, int Size, int Concurrency, long Ops, double Seconds, double OpsPerSecond, double MibPerSecond, Summary Latency)
{
    public static Throughput From(string kind, int size, int concurrency, Measured m) =>
        new(kind, size, concurrency, m.Ops, m.Seconds, m.Ops / m.Seconds, m.Bytes / m.Seconds / (1 << 20), Summary.Of(m.LatenciesMs));
}
