namespace Hoshino.Peers;

/// <summary>
/// Paces the directory reads so that reading costs at most one LIST per interval on average,
/// whatever the directory's size or churn: a token bucket in units of one LIST, refilled by one
/// unit per interval waited, holding at most <see cref="Capacity"/> (and starting full, so a node
/// reads a directory of 10,000 records at start without waiting hours). A read of
/// <c>listed</c> keys costs a LIST per <see cref="ListPageSize"/> keys and a GET (<see cref="GetCostInLists"/>
/// of a LIST) per record fetched; a read that leaves the bucket empty waits until it is paid for.
/// Over any span of time the reads cost at most <see cref="Capacity"/> plus one LIST per interval.
/// Pure: no clock (the wait it returns is the time it refills for). Not thread-safe.
/// </summary>
public sealed class ReadPacer(TimeSpan interval)
{
    /// <summary>Keys S3 returns per LIST request.</summary>
    public const int ListPageSize = 1000;

    /// <summary>What a GET costs next to a LIST on S3 Standard ($0.0004 vs $0.005 per 1,000).</summary>
    public const double GetCostInLists = 0.0004 / 0.005;

    /// <summary>The burst, in LISTs ($0.005): the first read of a 10,000-node directory (10 pages, 9,999 GETs: 810) fits.</summary>
    public const double Capacity = 1000;

    private double _tokens = Capacity;

    /// <summary>What a read cost, in LISTs.</summary>
    public static double CostOf(int listed, int fetched) => Math.Max(1, (listed + ListPageSize - 1) / ListPageSize) + fetched * GetCostInLists;

    /// <summary>Pays for a read of <paramref name="listed"/> keys that fetched <paramref name="fetched"/> records; returns how long to wait before the next.</summary>
    public TimeSpan NextReadAfter(int listed, int fetched)
    {
        double left = _tokens - CostOf(listed, fetched);
        double intervals = Math.Max(1, -left);
        _tokens = Math.Min(Capacity, left + intervals);
        return interval * intervals;
    }
}
