using Hoshino.Egress;
using Hoshino.Tunnel;
using Hoshino.UnitTests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Egress;

public sealed class TunReaderTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);
    private readonly ChannelTunDevice _tun = new();

    public void Dispose() => _tun.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_ReadsEachPacketOnItsOwnNamedThread_EndsWhenTheDeviceCloses()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(byte[] Packet, string? Thread)>();
        var reader = new TunReader(_tun, p => seen.Enqueue((p.ToArray(), Thread.CurrentThread.Name)), NullLogger.Instance);
        byte[] a = Numbered(Self, Peer, 1), b = Numbered(Self, Peer, 2, payloadLength: 500);

        reader.Start();
        _tun.Inject(a);
        _tun.Inject(b);
        await Eventually.True(() => seen.Count == 2, "both packets were read");
        Assert.False(reader.Completion.IsCompleted);
        _tun.Close();
        await reader.Completion.WaitAsync(Generous, Ct);

        Assert.Equal([a, b], seen.Select(s => s.Packet));
        Assert.All(seen, s => Assert.Equal(TunReader.ThreadName, s.Thread));
    }

    [Fact]
    public async Task Start_SinkThrows_CompletionFaultsWithThatError()
    {
        var reader = new TunReader(_tun, _ => throw new InvalidOperationException("sink broke"), NullLogger.Instance);

        reader.Start();
        _tun.Inject(Numbered(Self, Peer, 1));

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => reader.Completion.WaitAsync(Generous, Ct));
        Assert.Equal("sink broke", ex.Message);
    }
}
