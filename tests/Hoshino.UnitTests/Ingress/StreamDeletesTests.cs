using Hoshino.Ingress;
using Hoshino.Transport;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Ingress;

public sealed class StreamDeletesTests
{
    private static readonly Ulid Epoch = Ulid.NewUlid(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    private static StreamKey Key(long sequence) => new(Self16, Peer16, Epoch, sequence);

    private static string Name(long sequence) => Key(sequence).ToString();

    [Fact]
    public void Add_SameNameTwice_WaitsOnceAndIsSkipped()
    {
        var deletes = new StreamDeletes();
        Assert.False(deletes.Skips(Name(0)));

        deletes.Add(Key(0));
        deletes.Add(Key(0));

        Assert.Equal(1, deletes.Waiting);
        Assert.True(deletes.Skips(Name(0)));
        Assert.False(deletes.Skips(Name(1)));
    }

    [Fact]
    public void TakeWaiting_InHandledOrder_EmptiesTheQueueAndKeepsTheNamesSkippedWhileInFlight()
    {
        var deletes = new StreamDeletes();
        deletes.Add(Key(2));
        deletes.Add(Key(0));

        List<string> batch = deletes.TakeWaiting();
        deletes.Add(Key(2)); // listed again while its delete is in flight: not queued twice

        Assert.Equal([Name(2), Name(0)], batch);
        Assert.Equal(0, deletes.Waiting);
        Assert.True(deletes.Skips(Name(2)));
        Assert.True(deletes.Skips(Name(0)));
    }

    [Fact]
    public void Ended_Deleted_SkippedByListingsBegunBeforeTheConfirmationOnly()
    {
        var deletes = new StreamDeletes();
        deletes.Add(Key(0));
        List<string> batch = deletes.TakeWaiting();

        deletes.Ended(new DeleteResult(batch, batch, Confirmed: 7, Refused: []));

        deletes.ListingBegan(7); // began just before the confirmation (orders are distinct): may still show it
        Assert.True(deletes.Skips(Name(0)));
        deletes.ListingBegan(8); // began after it: the name is gone, and forgotten
        Assert.False(deletes.Skips(Name(0)));
    }

    [Fact]
    public void Ended_NotDeleted_NoLongerSkippedSoTheNextListingHandlesItAgain()
    {
        var deletes = new StreamDeletes();
        deletes.Add(Key(0));
        deletes.Add(Key(1));
        List<string> batch = deletes.TakeWaiting();

        deletes.Ended(new DeleteResult(batch, [Name(1)], Confirmed: 3, Refused: [Name(0)]));

        Assert.False(deletes.Skips(Name(0))); // refused or failed: listed again, handled again, deleted again
        Assert.True(deletes.Skips(Name(1)));
        deletes.Add(Key(0));
        Assert.Equal(1, deletes.Waiting);
    }

    [Fact]
    public void ListingBegan_ManyConfirmedDeletes_ForgetsThemAll()
    {
        var deletes = new StreamDeletes();
        for (int round = 0; round < 100; round++)
        {
            deletes.Add(Key(round));
            List<string> batch = deletes.TakeWaiting();
            deletes.Ended(new DeleteResult(batch, batch, Confirmed: round, Refused: []));
        }
        Assert.True(deletes.Skips(Name(0)));

        deletes.ListingBegan(100);

        Assert.All(Enumerable.Range(0, 100), i => Assert.False(deletes.Skips(Name(i))));
    }
}
