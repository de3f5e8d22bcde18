using Hoshino.Diagnostics;
using Hoshino.Egress;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hoshino.Cli.Hosting;

/// <summary>
/// Gives memory back when a node goes quiet after traffic (<see cref="IdleTrimRule"/>). A transfer
/// promotes packet copies into the older generations, leaves egress's pool full of bundle bodies
/// and the GC's young generation committed, and an idle node allocates too little to trigger the
/// collections that would free them: measured, a sender stayed at 133–139 MiB for as long as it
/// idled (bench/RESULTS.md). Emptying the pool (<see cref="EgressBuffers.Trim"/>) and one blocking,
/// compacting, decommitting collection cost a few milliseconds of a node that has nothing to do.
/// </summary>
internal sealed partial class IdleMemory(HoshinoMetrics metrics, TimeProvider time, ILogger<IdleMemory> logger) : BackgroundService
{
    /// <summary>How often the counters are sampled: a trim comes between 3 and 4 s after the last packet.</summary>
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(1);

    /// <summary>
    /// 3 s without a packet: longer than the gaps inside an interactive session's bursts, short
    /// enough that a node is lean soon after a transfer. 32 MiB: an idle node allocates 0.1–0.5 MiB/s
    /// (two doorbell HEADs a second at ~42 KiB each; 0.43 MiB/s measured while /metrics was scraped
    /// twice a second), so it trims again only after minutes of that.
    /// </summary>
    internal static IdleTrimRule NewRule() => new(TimeSpan.FromSeconds(3), 32L << 20);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IdleTrimRule rule = NewRule();
        long start = time.GetTimestamp();
        using var timer = new PeriodicTimer(SampleEvery, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                long packets = metrics.Packets(Direction.Ingress) + metrics.Packets(Direction.Egress);
                if (rule.ShouldTrim(packets, GC.GetTotalAllocatedBytes(), time.GetElapsedTime(start)))
                {
                    Trim();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Trim()
    {
        long committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
        long started = time.GetTimestamp();
        EgressBuffers.Trim(); // pooled packet copies and bundle bodies: garbage for the collection below
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GCMemoryInfo after = GC.GetGCMemoryInfo();
        Log.Trimmed(logger, committed >> 20, after.TotalCommittedBytes >> 20, after.HeapSizeBytes >> 20, time.GetElapsedTime(started).TotalMilliseconds);
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.MemoryTrimmed, LogLevel.Debug,
            "Quiet after traffic: collected and decommitted, GC committed {BeforeMiB} → {AfterMiB} MiB (heap {HeapMiB} MiB) in {Milliseconds:F1} ms")]
        public static partial void Trimmed(ILogger logger, long beforeMiB, long afterMiB, long heapMiB, double milliseconds);
    }
}
