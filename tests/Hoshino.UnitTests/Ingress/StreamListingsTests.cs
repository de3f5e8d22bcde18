using Hoshino.Ingress;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Transport;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Ingress;

public sealed class StreamListingsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Ulid Epoch = Ulid.NewUlid(Now.AddMinutes(-1));
    private static readonly IngressOptions Options = new();

    private readonly StreamDeletes _deletes = new();
    private readonly StreamLedger<string> _ledger = new(Self16);
    private readonly StreamPeers _peers = new(max: 16);
    private readonly List<(string Name, RejectReason Reason)> _rejected = [];
    private readonly StreamListings<string> _listings;

    public StreamListingsTests() =>
        _listings = new StreamListings<string>(Self16, Options, _deletes, _ledger, _peers, (name, reason) => _rejected.Add((name, reason)));

    private static StreamKey Key(long sequence, Address16? source = null) => new(Self16, source ?? Peer16, Epoch, sequence);

    private static (StoredObject Item, StreamKey Key) Listed(StreamKey key, long size = 100) => (new StoredObject(key.ToString(), size, null, Now), key);

    private List<StreamKey> Gets() => [.. _ledger.Next(Now).Gets];

    [Fact]
    public void Take_NothingAdded_NoListingAndNothingListed()
    {
        Assert.True(_listings.IsEmpty);

        Assert.False(_listings.Take(Now));

        Assert.False(_listings.Contains(Key(0)));
        Assert.Empty(Gets());
    }

    [Fact]
    public void Take_ValidNames_OfferedToTheLedgerTheirSendersRememberedAndListed()
    {
        _listings.Add([Listed(Key(0)), Listed(Key(1)), Listed(Key(0, OtherPeer16))], order: 1);
        Assert.False(_listings.IsEmpty);
        Assert.False(_peers.Knows(Peer16)); // the setup: nobody known before the listing is taken

        Assert.True(_listings.Take(Now));

        Assert.True(_listings.IsEmpty);
        Assert.Equivalent(new[] { Key(0), Key(1), Key(0, OtherPeer16) }, Gets(), strict: true);
        Assert.True(_peers.Knows(Peer16));
        Assert.True(_peers.Knows(OtherPeer16));
        Assert.True(_listings.Contains(Key(1)));
        Assert.False(_listings.Contains(Key(2))); // never listed: a GET of it is a probe
        Assert.Empty(_rejected);
    }

    [Fact]
    public void Take_SeveralListingsWaiting_OnlyTheNewestCounts()
    {
        _listings.Add([Listed(Key(0)), Listed(Key(1))], order: 1);
        _listings.Add([Listed(Key(1))], order: 2);

        Assert.True(_listings.Take(Now));

        Assert.False(_listings.Contains(Key(0)));
        Assert.True(_listings.Contains(Key(1)));
        Assert.Equal([Key(1)], Gets());
        Assert.False(_listings.Take(Now)); // both taken at once
    }

    [Fact]
    public void Take_LaterListingWithoutAName_NoLongerListed()
    {
        _listings.Add([Listed(Key(0))], order: 1);
        _listings.Take(Now);
        Assert.True(_listings.Contains(Key(0)));

        _listings.Add([], order: 2);
        _listings.Take(Now);

        Assert.False(_listings.Contains(Key(0)));
    }

    [Fact]
    public void Take_NameTheKeyScreenRefuses_RejectedQueuedForDeleteNeitherOfferedNorListed()
    {
        StreamKey fromSelf = Key(0, Self16);
        _listings.Add([Listed(fromSelf), Listed(Key(0), size: Options.MaxObjectBytes + 1L)], order: 1);

        _listings.Take(Now);

        Assert.Equal([(fromSelf.ToString(), RejectReason.BadSource), (Key(0).ToString(), RejectReason.TooLarge)], _rejected);
        Assert.Equal(2, _deletes.Waiting);
        Assert.Empty(Gets());
        Assert.False(_listings.Contains(Key(0)));
        Assert.False(_peers.Knows(Peer16));
    }

    [Fact]
    public void Take_RefusedNameListedAgainBeforeItsDelete_RefusedOnce()
    {
        (StoredObject, StreamKey) tooLarge = Listed(Key(0), size: Options.MaxObjectBytes + 1L);
        _listings.Add([tooLarge], order: 1);
        _listings.Take(Now);
        List<string> batch = _deletes.TakeWaiting();

        _listings.Add([tooLarge], order: 2); // its delete is in flight
        _listings.Take(Now);

        Assert.Single(_rejected);
        Assert.Equal([Key(0).ToString()], batch);
    }

    [Fact]
    public void Take_DeletedName_SkippedByAListingBegunBeforeTheConfirmationHandledByALaterOne()
    {
        (StoredObject, StreamKey) tooLarge = Listed(Key(0), size: Options.MaxObjectBytes + 1L);
        _listings.Add([tooLarge], order: 1);
        _listings.Take(Now);
        List<string> batch = _deletes.TakeWaiting();
        _deletes.Ended(new DeleteResult(batch, batch, Confirmed: 3, Refused: []));

        _listings.Add([tooLarge], order: 2); // began before the delete was confirmed: may still show it
        _listings.Take(Now);
        Assert.Single(_rejected);

        _listings.Add([tooLarge], order: 4); // began after: the name is back (written again), so refused again
        _listings.Take(Now);
        Assert.Equal(2, _rejected.Count);
    }
}
