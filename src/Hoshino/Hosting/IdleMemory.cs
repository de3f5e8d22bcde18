namespace Hoshino.Cli.Hosting;

/// <summary>
/// Gives memory back when a node goes idle after traffic. A bulk transfer promotes packet copies and
/// bundle buffers into the older generations, and an idle node allocates too little to trigger the
/// collections that would free them: measured, a sender's heap stayed at 22–24 MB for as long as it
/// idled (bench/RESULTS.md). One blocking, compacting, decommitting collection at the moment the
/// heartbeat reaches --poll-max costs a few milliseconds of a loop that has nothing to do.
/// </summary>
internal static class IdleMemory
{
    /// <summary>Below this much allocation since the last trim (pings, metrics scrapes) there is nothing worth returning.</summary>
    private const long MinAllocatedBytes = 32 << 20;

    private static long _allocatedAtLastTrim;

    public static void Trim()
    {
        long allocated = GC.GetTotalAllocatedBytes();
        if (allocated - Interlocked.Read(ref _allocatedAtLastTrim) < MinAllocatedBytes)
        {
            return;
        }
        Interlocked.Exchange(ref _allocatedAtLastTrim, allocated);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
