using Hoshino.Peers;

namespace Hoshino.Diagnostics;

/// <summary>The node among its peers: a conflicting address lease and the peer directory's records.</summary>
public sealed partial class HoshinoMetrics
{
    private Func<bool> _addressConflict = () => false;
    private readonly long[] _directoryRejected = new long[Enum.GetValues<DirectoryRejectReason>().Length];
    private Func<int> _directoryPeers = () => 0;
    private Func<int> _directoryConflicts = () => 0;

    /// <summary>Where the address-conflict gauge reads from (another live node claims this address).</summary>
    public void ObserveAddressConflict(Func<bool> conflict) => _addressConflict = conflict;

    /// <summary>Where the peer directory's gauges read from: fresh records served, and names claimed by more than one address.</summary>
    public void ObserveDirectory(Func<int> peers, Func<int> conflicts) => (_directoryPeers, _directoryConflicts) = (peers, conflicts);

    /// <summary>A directory record was refused (counted once per version of the object).</summary>
    public void DirectoryRejected(DirectoryRejectReason reason) => Interlocked.Increment(ref _directoryRejected[(int)reason]);

    public long DirectoryRejections(DirectoryRejectReason reason) => Volatile.Read(ref _directoryRejected[(int)reason]);

    private void WriteDirectoryMetrics(PrometheusWriter w)
    {
        w.Family("hoshino_address_conflict", "gauge", "1 while another live node holds this node's address lease (a cloned machine-id).");
        w.Sample("hoshino_address_conflict", "", _addressConflict() ? 1 : 0);

        w.Family("hoshino_directory_peers", "gauge", "Fresh records in the peer directory, this node's own included.");
        w.Sample("hoshino_directory_peers", "", _directoryPeers());
        w.Family("hoshino_directory_name_conflicts", "gauge", "Names in the peer directory claimed by more than one address (the older start answers).");
        w.Sample("hoshino_directory_name_conflicts", "", _directoryConflicts());
        w.Family("hoshino_directory_rejected_records_total", "counter", "Peer directory records refused, by reason (once per version of each object).");
        foreach (DirectoryRejectReason r in Enum.GetValues<DirectoryRejectReason>())
        {
            if (r != DirectoryRejectReason.None)
            {
                w.Sample("hoshino_directory_rejected_records_total", $"reason=\"{MetricLabels.Of(r)}\"", DirectoryRejections(r));
            }
        }
    }
}
