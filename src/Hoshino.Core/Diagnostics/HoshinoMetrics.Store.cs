using Hoshino.Store;

namespace Hoshino.Diagnostics;

/// <summary>The store's figures: requests, failures and retries by operation, their latency, and what they would cost on AWS.</summary>
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

    private readonly long[] _requests = new long[Enum.GetValues<StoreOperation>().Length];
    private readonly long[,] _errors = new long[Enum.GetValues<StoreOperation>().Length, Enum.GetValues<StoreErrorKind>().Length];
    private readonly long[] _retries = new long[Enum.GetValues<StoreOperation>().Length];
    private readonly Histogram[] _latency = [.. Enum.GetValues<StoreOperation>().Select(_ => new Histogram(LatencyBoundsMicros, 1e-6))];

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

    public long Requests(StoreOperation operation) => Volatile.Read(ref _requests[(int)operation]);
    public long Errors(StoreOperation operation, StoreErrorKind kind) => Volatile.Read(ref _errors[(int)operation, (int)kind]);

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

    private void WriteStoreMetrics(PrometheusWriter w)
    {
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
    }
}
