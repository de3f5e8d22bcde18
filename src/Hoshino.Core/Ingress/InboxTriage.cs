using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Transport;

namespace Hoshino.Ingress;

/// <summary>An object the listing offered that passed screening: fetch it.</summary>
internal readonly record struct Wanted(ObjectKey Key, string Name, long Size);

/// <summary>
/// What one listing comes to: the v1 objects to fetch (in key order), the keys to delete unread
/// (refused, or delivered already), the v2 names for the stream receiver, and the doorbell's tag
/// (null: no doorbell listed).
/// </summary>
internal sealed record Triage(List<Wanted> Wanted, List<string> ToDelete, List<(StoredObject Item, StreamKey Key)> StreamNames, string? DoorbellTag);

/// <summary>
/// Sorts one listing of the inbox before any GET: the lease and the doorbell aside, v2 names to the
/// stream receiver, and each v1 key by what the <see cref="InboxLedger"/> remembers of it and what
/// <see cref="KeyScreen"/> can tell from the key alone, up to <see cref="IngressOptions.MaxBytesPerPoll"/>.
/// Refusals are counted and logged as it goes. Loop thread only (it updates the ledger).
/// </summary>
/// <param name="ledger">The v1 path's memory across polls.</param>
/// <param name="metrics">Counts duplicates suppressed.</param>
/// <param name="reports">Counts and logs refusals.</param>
/// <param name="self">This node.</param>
/// <param name="options">Bounds (age, size, bytes per poll).</param>
/// <param name="leaseKey">The node's own address lease, listed in its inbox.</param>
/// <param name="doorbellKey">The node's own doorbell, listed in its inbox.</param>
internal sealed class InboxTriage(InboxLedger ledger, HoshinoMetrics metrics, IngressReports reports, Address16 self, IngressOptions options,
    string leaseKey, string doorbellKey)
{
    /// <summary>
    /// Takes in <paramref name="listing"/> (begun at <paramref name="listOrder"/>) and sorts it. An
    /// empty listing only tells the ledger so.
    /// </summary>
    public Triage Sort(IReadOnlyList<StoredObject> listing, long listOrder, DateTimeOffset now)
    {
        var toDelete = new List<string>();
        var wanted = new List<Wanted>();
        var streamNames = new List<(StoredObject, StreamKey)>();
        string? doorbellTag = null;
        ledger.ListingSeen(listing);
        if (listing.Count == 0)
        {
            return new Triage(wanted, toDelete, streamNames, doorbellTag);
        }
        // Each sender's v1 objects are written in key order, and not every store lists in order
        // (S3 Express One Zone directory buckets do not): sort here, not by trusting the store.
        listing = InKeyOrder(listing);
        ledger.ForgetExpired(now);
        long pollBytes = 0;
        foreach (StoredObject item in listing)
        {
            if (item.Key == leaseKey)
            {
                continue; // the node's own address lease (Node/AddressLease.cs), not a bundle
            }
            if (item.Key == doorbellKey)
            {
                doorbellTag = item.Tag; // never fetched, never delivered: only its tag matters
                continue;
            }
            if (StreamKey.TryParse(item.Key, out StreamKey? streamKey))
            {
                streamNames.Add((item, streamKey.Value)); // v2: the stream receiver reads it by name
                continue;
            }
            switch (ledger.Classify(item.Key, listOrder))
            {
                case InboxLedger.Verdict.Skip:
                    continue; // handled; its delete is in flight, took effect after this listing began, or was given up
                case InboxLedger.Verdict.DeleteAgain:
                    metrics.DuplicateSuppressed(); // written already, but its delete failed: delete again, never write again
                    toDelete.Add(item.Key);
                    continue;
                case InboxLedger.Verdict.Replay:
                    reports.Reject(item.Key, RejectReason.Replay);
                    toDelete.Add(item.Key);
                    continue;
            }
            RejectReason reason = KeyScreen.Screen(item, now, self, options, out ObjectKey parsed);
            if (reason != RejectReason.None)
            {
                reports.Reject(item.Key, reason);
                toDelete.Add(item.Key);
                continue;
            }
            if (pollBytes > 0 && pollBytes + item.Size > options.MaxBytesPerPoll)
            {
                continue; // enough for one poll: the next one takes the rest
            }
            pollBytes += item.Size;
            wanted.Add(new Wanted(parsed, item.Key, item.Size));
        }
        ledger.ForgetDeletedBefore(listOrder);
        return new Triage(wanted, toDelete, streamNames, doorbellTag);
    }

    private static IReadOnlyList<StoredObject> InKeyOrder(IReadOnlyList<StoredObject> listing)
    {
        for (int i = 1; i < listing.Count; i++)
        {
            if (string.CompareOrdinal(listing[i - 1].Key, listing[i].Key) > 0)
            {
                return [.. listing.OrderBy(o => o.Key, StringComparer.Ordinal)];
            }
        }
        return listing;
    }
}
