namespace Hoshino.Bench;

/// <summary>Latency summary in milliseconds.</summary>
internal sealed record Summary(int Count, double P50, double P90, double P99, double Max, double Mean)
{
    public static Summary Of(IEnumerable<double> samplesMs)
    {
        double[] sorted = [.. samplesMs.Order()];
        if (sorted.Length == 0)
        {
            return new Summary(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }
        return new Summary(sorted.Length, Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 99), sorted[^1], sorted.Average());
    }

    /// <summary>Nearest-rank percentile of sorted samples: an observed value, never an interpolation.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        int rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
