using Hoshino.Ingress;
using Hoshino.Packets;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Ingress;

public sealed class StreamPeersTests
{
    [Fact]
    public void Remember_ThenForget_KnownOnlyBetween()
    {
        var peers = new StreamPeers(8);
        Assert.False(peers.Knows(Peer16));

        peers.Remember(Peer16);
        Assert.True(peers.Knows(Peer16));
        Assert.False(peers.Knows(OtherPeer16));
        peers.Forget(Peer16);

        Assert.False(peers.Knows(Peer16));
    }

    [Fact]
    public void Remember_PastTheBound_StartsOverWithTheNewPeer()
    {
        var peers = new StreamPeers(4);
        var many = Enumerable.Range(1, 4).Select(i => new Address16(Self16.High, (ulong)(0x100 + i))).ToList();
        many.ForEach(peers.Remember);
        peers.Remember(many[0]); // known already: no reset
        Assert.Equal(4, peers.Count);

        peers.Remember(Peer16);

        Assert.Equal(1, peers.Count);
        Assert.True(peers.Knows(Peer16));
        Assert.False(peers.Knows(many[0]));
    }
}
