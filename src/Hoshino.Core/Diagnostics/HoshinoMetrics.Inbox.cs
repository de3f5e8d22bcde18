using Hoshino.Packets;

namespace Hoshino.Diagnostics;

/// <summary>The inbox's figures: objects refused, duplicates not written twice, deletes, and doorbells (both ends).</summary>
public sealed partial class HoshinoMetrics
{
    private readonly long[] _rejected = new long[Enum.GetValues<RejectReason>().Length];
    private long _duplicatesSuppressed;
    private long _objectsDeleted;
    private long _deletesGivenUp;
    private long _doorbellsRung;
    private long _doorbellsHeard;
    private long _doorbellsFailed;

    public void ObjectRejected(RejectReason reason) => Interlocked.Increment(ref _rejected[(int)reason]);

    /// <summary>An object that was already written to the kernel was listed again; it was not written twice.</summary>
    public void DuplicateSuppressed() => Interlocked.Increment(ref _duplicatesSuppressed);

    /// <summary>Objects the ingress loop deleted after delivering or rejecting them.</summary>
    public void ObjectsDeleted(int count) => Interlocked.Add(ref _objectsDeleted, count);

    public long DeletedObjects => Volatile.Read(ref _objectsDeleted);

    /// <summary>Keys the store refused to delete, one by one, until the node gave up on them.</summary>
    public void DeletesGivenUp(int count) => Interlocked.Add(ref _deletesGivenUp, count);

    public long UndeletableObjects => Volatile.Read(ref _deletesGivenUp);

    /// <summary>Egress rang a destination's doorbell (its first bundle after a quiet spell).</summary>
    public void DoorbellRung() => Interlocked.Increment(ref _doorbellsRung);

    /// <summary>Ingress, idle, found its doorbell changed and listed the inbox at once.</summary>
    public void DoorbellHeard() => Interlocked.Increment(ref _doorbellsHeard);

    /// <summary>Egress gave up ringing a doorbell (store errors, or no permission to ring).</summary>
    public void DoorbellFailed() => Interlocked.Increment(ref _doorbellsFailed);

    public long DoorbellsRung => Volatile.Read(ref _doorbellsRung);

    public long DoorbellsFailed => Volatile.Read(ref _doorbellsFailed);

    public long DoorbellsHeard => Volatile.Read(ref _doorbellsHeard);

    public long Rejected(RejectReason reason) => Volatile.Read(ref _rejected[(int)reason]);
    public long DuplicatesSuppressed => Volatile.Read(ref _duplicatesSuppressed);

    private void WriteInboxMetrics(PrometheusWriter w)
    {
        w.Family("hoshino_rejected_objects_total", "counter", "Objects from the store refused (and deleted) by the receiver, by reason.");
        foreach (RejectReason r in Enum.GetValues<RejectReason>())
        {
            if (r != RejectReason.None)
            {
                w.Sample("hoshino_rejected_objects_total", $"reason=\"{MetricLabels.Of(r)}\"", Rejected(r));
            }
        }
        w.Family("hoshino_duplicate_objects_total", "counter", "Objects listed again after delivery (delete pending) and not written twice.");
        w.Sample("hoshino_duplicate_objects_total", "", DuplicatesSuppressed);

        w.Family("hoshino_deleted_objects_total", "counter", "Objects deleted from the inbox; each was written to the kernel or rejected first.");
        w.Sample("hoshino_deleted_objects_total", "", DeletedObjects);

        w.Family("hoshino_undeletable_objects_total", "counter", "Inbox keys the store refused to delete, each alone, until the node gave up on them (left to the lifecycle rule).");
        w.Sample("hoshino_undeletable_objects_total", "", UndeletableObjects);

        w.Family("hoshino_doorbell_rings_total", "counter", "Doorbells rung for destinations after a quiet spell (sent; failed: given up), and rings that woke this idle node (heard).");
        w.Sample("hoshino_doorbell_rings_total", "direction=\"sent\"", DoorbellsRung);
        w.Sample("hoshino_doorbell_rings_total", "direction=\"failed\"", DoorbellsFailed);
        w.Sample("hoshino_doorbell_rings_total", "direction=\"heard\"", DoorbellsHeard);
    }
}
