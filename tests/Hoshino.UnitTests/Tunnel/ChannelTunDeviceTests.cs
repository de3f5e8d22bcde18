using System.Net;
using Hoshino.TestSupport.Tunnel;
using Hoshino.Tunnel;
using Hoshino.UnitTests.TestSupport;

namespace Hoshino.UnitTests.Tunnel;

/// <summary>The in-memory device the pump tests use passes the same contract as the kernel's TUN.</summary>
public sealed class ChannelTunDeviceTests : TunDeviceContract
{
    protected override ITunTwin CreateTwin(int mtu) => new ChannelTunTwin(mtu);

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
    public void Write_Packets_AppearOnWrittenUnlessRefused()
    {
        using var tun = new ChannelTunDevice();

        Assert.True(tun.Write([0x60, 8]));
        tun.RefuseWrites = true;
        Assert.False(tun.Write([0x60, 7]));

        Assert.True(tun.Written.TryRead(out byte[]? written));
        Assert.Equal([0x60, 8], written);
        Assert.False(tun.Written.TryRead(out _));
    }

    /// <summary>"The kernel" is the device's own queues: <see cref="ChannelTunDevice.Inject"/> and <see cref="ChannelTunDevice.Written"/>.</summary>
    private sealed class ChannelTunTwin(int mtu) : ITunTwin
    {
        private readonly ChannelTunDevice _device = new("test0", mtu);

        public ITunDevice Device => _device;

        public IPEndPoint Local { get; } = new(TestPackets.Self, 40000);

        public IPAddress Peer => TestPackets.Peer;

        public void SendUdp(IPEndPoint destination, ReadOnlySpan<byte> payload) =>
            _device.Inject(UdpPackets.Build(Local, destination, payload));

        public async Task<(IPEndPoint From, byte[] Payload)> ReceiveUdpAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                // As the kernel does, drop what is not a well-formed datagram to the socket.
                byte[] packet = await _device.Written.ReadAsync(cancellationToken);
                if (UdpPackets.TryParse(packet, out UdpDatagram datagram) && datagram.Destination.Equals(Local))
                {
                    return (datagram.Source, datagram.Payload);
                }
            }
        }

        public void Dispose() => _device.Dispose();
    }
}
