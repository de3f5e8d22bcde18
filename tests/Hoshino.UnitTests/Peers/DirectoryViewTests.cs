using System.Net;
using Hoshino.Peers;
using Hoshino.Store;
using static Hoshino.UnitTests.Peers.PeerRecordFormatTests;

namespace Hoshino.UnitTests.Peers;

public sealed class DirectoryViewTests
{
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);
    private readonly DirectoryView _view = new(Network);

    private static StoredObject Listed(IPAddress address, string tag, DateTimeOffset? modified = null, long size = 100) =>
        new(PeerRecordFormat.KeyOf(address), size, tag, modified ?? Now);

    private void FetchAll(IReadOnlyList<StoredObject> fetch)
    {
        foreach (StoredObject item in fetch)
        {
            IPAddress address = PeerRecordFormat.AddressOf(item.Key, Network)!;
            _view.Fetched(item, Statement(address.Equals(A) ? "alpha" : "bravo", address, started: Now.AddHours(-1)), DirectoryRejectReason.None, Skew);
        }
    }

    [Fact]
    public void Plan_SameTagAndSize_NotFetchedAgain_ButItsNewTimeIsTaken()
    {
        FetchAll(_view.Plan([Listed(A, "t1", Now.AddMinutes(-20)), Listed(B, "t2")], out _, out _));
        Assert.Single(_view.Snapshot(Now, PeerDirectory.Lifetime, null).Peers); // A's is 20 min old: stale

        IReadOnlyList<StoredObject> again = _view.Plan([Listed(A, "t1", Now), Listed(B, "t2")], out List<DirectoryRejectReason> refused, out bool overCap);

        Assert.Empty(again);
        Assert.Empty(refused);
        Assert.False(overCap);
        Assert.Equal(["alpha", "bravo"], _view.Snapshot(Now, PeerDirectory.Lifetime, null).Peers.Select(p => p.Name)); // renewed: fresh again
        Assert.Equal(Now, _view.Snapshot(Now, PeerDirectory.Lifetime, null).Find("alpha")!.Renewed);
    }

    [Fact]
    public void Plan_TagOrSizeChanged_FetchedAgain_AndNotServedInTheOldVersionMeanwhile()
    {
        FetchAll(_view.Plan([Listed(A, "t1")], out _, out _));

        IReadOnlyList<StoredObject> changedTag = _view.Plan([Listed(A, "t9")], out _, out _);
        PeerSet meanwhile = _view.Snapshot(Now, PeerDirectory.Lifetime, null);
        FetchAll(changedTag);
        IReadOnlyList<StoredObject> changedSize = _view.Plan([Listed(A, "t9", size: 101)], out _, out _);

        Assert.Single(changedTag);
        Assert.Empty(meanwhile.Peers);
        Assert.Single(changedSize);
    }

    [Fact]
    public void Plan_NoTag_AlwaysFetched()
    {
        FetchAll(_view.Plan([new StoredObject(PeerRecordFormat.KeyOf(A), 100, null, Now)], out _, out _));

        Assert.Single(_view.Plan([new StoredObject(PeerRecordFormat.KeyOf(A), 100, null, Now)], out _, out _));
    }

    [Fact]
    public void Plan_RecordNoLongerListed_Forgotten()
    {
        FetchAll(_view.Plan([Listed(A, "t1"), Listed(B, "t2")], out _, out _));

        _view.Plan([Listed(B, "t2")], out _, out _);

        Assert.Equal(1, _view.Count);
        Assert.Null(_view.Snapshot(Now, PeerDirectory.Lifetime, null).Find(A));
    }

    [Fact]
    public void Plan_BadKeyOrTooLarge_RefusedUnfetched_OncePerVersion()
    {
        StoredObject junk = new("directory/junk", 10, "j1", Now), huge = Listed(B, "h1", size: 10_000_000);

        IReadOnlyList<StoredObject> first = _view.Plan([junk, huge], out List<DirectoryRejectReason> refusedFirst, out _);
        IReadOnlyList<StoredObject> second = _view.Plan([junk, huge], out List<DirectoryRejectReason> refusedAgain, out _);
        _view.Plan([junk with { Tag = "j2" }, huge], out List<DirectoryRejectReason> refusedNewVersion, out _);

        Assert.Empty(first);
        Assert.Empty(second);
        Assert.Equal([DirectoryRejectReason.BadKey, DirectoryRejectReason.TooLarge], refusedFirst);
        Assert.Empty(refusedAgain);
        Assert.Equal([DirectoryRejectReason.BadKey], refusedNewVersion);
    }

    [Fact]
    public void Plan_MoreThanTheCap_KeepsTheCapAndSaysSo()
    {
        var listing = new List<StoredObject>();
        for (int i = 0; i <= DirectoryView.MaxEntries; i++)
        {
            listing.Add(Listed(IPAddress.Parse($"fd5e:59b8:f71d:9a3e::{i + 1:x}"), "t"));
        }

        IReadOnlyList<StoredObject> fetch = _view.Plan(listing, out _, out bool overCap);
        foreach (StoredObject item in fetch)
        {
            _view.Fetched(item, null, DirectoryRejectReason.Malformed, Skew);
        }

        Assert.True(overCap);
        Assert.Equal(DirectoryView.MaxEntries, fetch.Count);
        Assert.Equal(DirectoryView.MaxEntries, _view.Count);
    }

    [Fact]
    public void Fetched_Refused_CachedByTagAndNeverServed()
    {
        IReadOnlyList<StoredObject> fetch = _view.Plan([Listed(A, "bad")], out _, out _);

        DirectoryRejectReason reason = _view.Fetched(fetch[0], null, DirectoryRejectReason.BadName, Skew);

        Assert.Equal(DirectoryRejectReason.BadName, reason);
        Assert.Empty(_view.Plan([Listed(A, "bad")], out _, out _));
        Assert.Empty(_view.Snapshot(Now, PeerDirectory.Lifetime, null).Peers);
    }

    [Fact]
    public void Fetched_StartedAfterTheStoreWroteIt_FutureTime()
    {
        IReadOnlyList<StoredObject> fetch = _view.Plan([Listed(A, "t", modified: Now.AddHours(-1))], out _, out _);

        DirectoryRejectReason reason = _view.Fetched(fetch[0], Statement(started: Now), DirectoryRejectReason.None, Skew);

        Assert.Equal(DirectoryRejectReason.FutureTime, reason);
        Assert.Empty(_view.Snapshot(Now, TimeSpan.FromDays(1), null).Peers);
    }

    [Fact]
    public void Snapshot_NoLastModified_NeverFresh()
    {
        FetchAll(_view.Plan([new StoredObject(PeerRecordFormat.KeyOf(A), 100, "t")], out _, out _));

        Assert.Empty(_view.Snapshot(Now, PeerDirectory.Lifetime, null).Peers);
    }

    [Fact]
    public void Snapshot_Self_ReplacesTheBucketsCopyOfItsRecord()
    {
        FetchAll(_view.Plan([Listed(A, "t1"), Listed(B, "t2")], out _, out _));
        var self = new PeerRecord("me", A, "9", Now, true, Now);

        PeerSet set = _view.Snapshot(Now, PeerDirectory.Lifetime, self);

        Assert.Same(self, set.Find(A));
        Assert.Equal(["bravo", "me"], set.Peers.Select(p => p.Name));
    }
}
