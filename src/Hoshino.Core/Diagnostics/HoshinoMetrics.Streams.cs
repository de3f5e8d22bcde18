namespace Hoshino.Diagnostics;

/// <summary>Transport v2 at the receiver: probes, holes skipped, late deliveries, streams remembered.</summary>
public sealed partial class HoshinoMetrics
{
    private readonly long[] _probes = new long[2];
    private long _holesSkipped;
    private long _lateDeliveries;
    private long _streams;

    /// <summary>
    /// A transport v2 GET of a name no listing showed (a probe for a reply, a forecast, the hold, or
    /// a read ahead of a flowing stream): hit when the object was there.
    /// </summary>
    public void StreamProbed(bool hit) => Interlocked.Increment(ref _probes[hit ? 1 : 0]);

    public long StreamProbes(bool hit) => Volatile.Read(ref _probes[hit ? 1 : 0]);

    /// <summary>Sequence numbers a v2 stream skipped after waiting the hole bound for them.</summary>
    public void HolesSkipped(long count) => Interlocked.Add(ref _holesSkipped, count);

    public long SkippedHoles => Volatile.Read(ref _holesSkipped);

    /// <summary>Skipped numbers delivered after all, late, once.</summary>
    public void LateDelivered(long count) => Interlocked.Add(ref _lateDeliveries, count);

    public long LateDeliveries => Volatile.Read(ref _lateDeliveries);

    /// <summary>Transport v2 streams the receiver remembers (live and retired); set by its loop.</summary>
    public long StreamCount
    {
        get => Volatile.Read(ref _streams);
        set => Volatile.Write(ref _streams, value);
    }

    private void WriteStreamMetrics(PrometheusWriter w)
    {
        w.Family("hoshino_stream_probes_total", "counter", "Transport v2 GETs of names no listing showed (probes for replies, reads ahead), by whether the object was there.");
        w.Sample("hoshino_stream_probes_total", "result=\"hit\"", StreamProbes(hit: true));
        w.Sample("hoshino_stream_probes_total", "result=\"miss\"", StreamProbes(hit: false));
        w.Family("hoshino_stream_holes_skipped_total", "counter", "Transport v2 sequence numbers skipped after the hole bound (a PUT given up, a sender gone mid-window).");
        w.Sample("hoshino_stream_holes_skipped_total", "", SkippedHoles);
        w.Family("hoshino_stream_late_deliveries_total", "counter", "Skipped transport v2 objects that turned up later and were delivered once, out of order.");
        w.Sample("hoshino_stream_late_deliveries_total", "", LateDeliveries);
        w.Family("hoshino_streams", "gauge", "Transport v2 streams (sender, epoch) the receiver remembers, live and retired.");
        w.Sample("hoshino_streams", "", StreamCount);
    }
}
