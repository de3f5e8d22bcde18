using System.Diagnostics;

namespace Hoshino.Diagnostics;

/// <summary>The process and runtime: build, start, CPU, memory, threads, GC.</summary>
public sealed partial class HoshinoMetrics
{
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
