using Hoshino.Tunnel;

namespace Hoshino.UnitTests.Tunnel;

public sealed class ChannelTunDeviceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Read_InjectedPackets_ReturnedInOrder()
    {
        using var tun = new ChannelTunDevice();
        tun.Inject([1, 2, 3]);
        tun.Inject([4]);
        byte[] buffer = new byte[tun.Mtu];

        Assert.Equal(3, tun.Read(buffer));
        Assert.Equal([1, 2, 3], buffer[..3]);
        Assert.Equal(1, tun.Read(buffer));
        Assert.Equal(4, buffer[0]);
    }

    [Fact]
    public async Task Close_WhileReadBlocks_ReadReturnsZero()
    {
        using var tun = new ChannelTunDevice();
        var reader = Task.Factory.StartNew(() => tun.Read(new byte[tun.Mtu]), Ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.Delay(20, Ct);

        tun.Close();

        Assert.Equal(0, await reader.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.Equal(0, tun.Read(new byte[tun.Mtu]));
        tun.Close(); // idempotent
    }

    [Fact]
    public void Write_Packets_AppearOnWrittenUnlessRefused()
    {
        using var tun = new ChannelTunDevice();

        Assert.True(tun.Write([9, 8]));
        tun.RefuseWrites = true;
        Assert.False(tun.Write([7]));

        Assert.True(tun.Written.TryRead(out byte[]? written));
        Assert.Equal([9, 8], written);
        Assert.False(tun.Written.TryRead(out _));
    }

    [Fact]
    public void Write_AfterClose_Throws()
    {
        var tun = new ChannelTunDevice();
        tun.Dispose();

        Assert.Throws<ObjectDisposedException>(() => tun.Write([1]));
    }
}
