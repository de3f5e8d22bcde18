namespace Hoshino.Diagnostics;

/// <summary>
/// A fixed-bucket histogram in integer units (microseconds, bytes, packets), lock-free to record.
/// Buckets are cumulative only when written out, so recording is one increment and one add.
/// </summary>
internal sealed class Histogram(long[] upperBounds, double unitScale)
{
    private readonly long[] _counts = new long[upperBounds.Length + 1];
    private long _sum;

    public void Record(long value)
    {
        int i = Array.BinarySearch(upperBounds, value);
        Interlocked.Increment(ref _counts[i < 0 ? ~i : i]);
        Interlocked.Add(ref _sum, value);
    }

    public void WriteTo(PrometheusWriter writer, string name, string labels)
    {
        long cumulative = 0;
        for (int i = 0; i < upperBounds.Length; i++)
        {
            cumulative += Volatile.Read(ref _counts[i]);
            writer.Sample(name + "_bucket", Join(labels, $"le=\"{PrometheusWriter.Format(upperBounds[i] * unitScale)}\""), cumulative);
        }
        cumulative += Volatile.Read(ref _counts[^1]);
        writer.Sample(name + "_bucket", Join(labels, "le=\"+Inf\""), cumulative);
        writer.Sample(name + "_sum", labels, Volatile.Read(ref _sum) * unitScale);
        writer.Sample(name + "_count", labels, cumulative);
    }

    /// <summary>
    /// The upper bound of the bucket that holds quantile <paramref name="q"/> of what was recorded
    /// (an overestimate by at most one bucket), or null before anything was. Past the last bound, the last bound.
    /// </summary>
    public long? Quantile(double q)
    {
        long total = Count;
        if (total == 0)
        {
            return null;
        }
        long rank = Math.Max(1, (long)Math.Ceiling(q * total)), cumulative = 0;
        for (int i = 0; i < upperBounds.Length; i++)
        {
            cumulative += Volatile.Read(ref _counts[i]);
            if (cumulative >= rank)
            {
                return upperBounds[i];
            }
        }
        return upperBounds[^1];
    }

    public long Count
    {
        get
        {
            long total = 0;
            foreach (ref long c in _counts.AsSpan())
            {
                total += Volatile.Read(ref c);
            }
            return total;
        }
    }

    private static string Join(string a, string b) => a.Length == 0 ? b : a + "," + b;
}
