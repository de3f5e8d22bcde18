using Hoshino.Packets;
using Hoshino.Peers;
using Hoshino.UnitTests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Hoshino.UnitTests.Peers;

public sealed class PeerTimingStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("fd5e:59b8:f71d:9a3e::2/fd5e:59b8:f71d:9a3e::1/01JXYZ", true)]             // v1
    [InlineData("fd5e:59b8:f71d:9a3e::2/fd5e:59b8:f71d:9a3e::1/0000000001/00000007", true)] // v2's shape
    [InlineData("fd5e:59b8:f71d:9a3e::2/doorbell", false)]
    [InlineData("fd5e:59b8:f71d:9a3e::2/lease", false)]
    [InlineData("fd5e:59b8:f71d:9a3e::2/fd5e:59b8:f71d:9a3e::1/", false)]
    [InlineData("fd5e:59b8:f71d:9a3e::2/10.0.0.1/x", false)]
    [InlineData("not-an-address/fd5e:59b8:f71d:9a3e::1/x", false)]
    [InlineData("", false)]
    public void EndsOf_Key_BothEndsOnlyForABundleKey(string key, bool bundle)
    {
        (Address16? destination, Address16? source) = PeerTimingStore.EndsOf(key);

        Assert.Equal(bundle, destination is not null && source is not null);
        if (bundle)
        {
            Assert.Equal((TestPackets.Peer16, TestPackets.Self16), (destination!.Value, source!.Value));
        }
    }

    [Fact]
    public async Task PutAndGet_BundleKeys_TimedForThePeerAtTheOtherEnd()
    {
        var time = new FakeTimeProvider();
        var traffic = new PeerTraffic();
        traffic.Sent(TestPackets.Peer16, 1, time.GetUtcNow());
        var store = new PeerTimingStore(new MemoryPacketStore(), traffic, time);
        string outgoing = $"{TestPackets.Peer}/{TestPackets.Self}/01JXYZ", incoming = $"{TestPackets.Self}/{TestPackets.Peer}/01JXYZ";

        await store.PutAsync(outgoing, new byte[] { 1 }, Ct);
        await store.PutAsync(incoming, new byte[] { 2 }, Ct); // as the peer would
        byte[]? body = await store.GetAsync(incoming, 100, Ct);

        Assert.Equal(new byte[] { 2 }, body);
        PeerCounters peer = traffic.Find(TestPackets.Peer16)!;
        Assert.NotNull(peer.LastPut);
        Assert.NotNull(peer.LastGet);
        Assert.Null(traffic.Find(TestPackets.Self16)); // the PUT "to self" made no entry
    }
}
