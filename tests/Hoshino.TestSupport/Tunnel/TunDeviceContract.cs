using System.Net;
using Hoshino.Tunnel;

namespace Hoshino.TestSupport.Tunnel;

/// <summary>
/// Behaviour every <see cref="ITunDevice"/> must have, as its doc comments state it (after
/// wireguard-go, whose <c>tuntest.ChannelTUN</c> and real TUN pass the same tests). Subclass once
/// per implementation: the unit tests run it against <see cref="ChannelTunDevice"/>, the
/// integration tests against <c>LinuxTunDevice</c> in a network namespace, where "the kernel" is a
/// real UDP socket and real routes. Each test gets a fresh twin from <see cref="CreateTwin"/>.
/// </summary>
public abstract class TunDeviceContract
{
    /// <summary>The node's default MTU.</summary>
    protected const int DefaultMtu = 53049;

    /// <summary>A UDP port at the peer; nothing listens there, the packets end in the device.</summary>
    private const int PeerPort = 4242;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A device with link up and MTU <paramref name="mtu"/>, and the kernel behind it.</summary>
    protected abstract ITunTwin CreateTwin(int mtu);

    [Fact]
    public async Task Read_DatagramTheKernelSends_ReturnsItAsOneWholeIpv6Packet()
    {
        using ITunTwin twin = CreateTwin(DefaultMtu);
        var peer = new IPEndPoint(twin.Peer, PeerPort);
        Task<byte[]> read = ReadUntilDatagramTo(twin.Device, peer);   // blocked before anything is sent
        byte[] payload = "hello through the tunnel"u8.ToArray();

        twin.SendUdp(peer, payload);

        byte[] packet = await WithinTimeout(read, twin.Device);
        Assert.Equal(UdpPackets.HeaderLength + payload.Length, packet.Length);
        Assert.True(UdpPackets.TryParse(packet, out UdpDatagram datagram));   // version, lengths, checksum
        Assert.Equal(twin.Local, datagram.Source);
        Assert.Equal(peer, datagram.Destination);
        Assert.Equal(payload, datagram.Payload);
    }

    [Fact]
    public async Task Write_DatagramToTheNodeWhileAReadBlocks_KernelDeliversIt()
    {
        using ITunTwin twin = CreateTwin(DefaultMtu);
        Task<int> reader = ReadUntilZero(twin.Device);
        var peer = new IPEndPoint(twin.Peer, PeerPort);
        byte[] payload = "a reply from the peer"u8.ToArray();

        bool written = twin.Device.Write(UdpPackets.Build(peer, twin.Local, payload));

        Assert.True(written);
        (IPEndPoint from, byte[] received) = await ReceiveWithinTimeout(twin);
        Assert.Equal(peer, from);
        Assert.Equal(payload, received);
        Assert.False(reader.IsCompleted);
        twin.Device.Close();
        Assert.Equal(0, await reader.WaitAsync(Timeout, Ct));
    }

    [Theory]
    [InlineData(1280)]         // IPv6's minimum link MTU (RFC 8200 §5)
    [InlineData(DefaultMtu)]
    public async Task ReadWrite_PacketsOfExactlyTheMtu_RoundTripWhole(int mtu)
    {
        using ITunTwin twin = CreateTwin(mtu);
        Assert.Equal(mtu, twin.Device.Mtu);
        var peer = new IPEndPoint(twin.Peer, PeerPort);
        byte[] outbound = RandomBytes(mtu - UdpPackets.HeaderLength);
        byte[] inbound = RandomBytes(mtu - UdpPackets.HeaderLength);

        // Read into a buffer of exactly Mtu bytes.
        Task<byte[]> read = ReadUntilDatagramTo(twin.Device, peer);
        twin.SendUdp(peer, outbound);
        byte[] packet = await WithinTimeout(read, twin.Device);
        byte[] reply = UdpPackets.Build(peer, twin.Local, inbound);
        bool written = twin.Device.Write(reply);

        Assert.Equal(mtu, packet.Length);
        Assert.True(UdpPackets.TryParse(packet, out UdpDatagram datagram));
        Assert.Equal(outbound, datagram.Payload);
        Assert.Equal(mtu, reply.Length);
        Assert.True(written);
        (IPEndPoint from, byte[] received) = await ReceiveWithinTimeout(twin);
        Assert.Equal(peer, from);
        Assert.Equal(inbound, received);
    }

    [Fact]
    public void Read_BufferSmallerThanTheMtu_Throws()
    {
        using ITunTwin twin = CreateTwin(DefaultMtu);

        Assert.Throws<ArgumentOutOfRangeException>(() => twin.Device.Read(new byte[twin.Device.Mtu - 1]));
    }

    [Fact]
    public async Task Write_NotAnIpPacket_ReturnsFalseAndTheDeviceGoesOn()
    {
        using ITunTwin twin = CreateTwin(DefaultMtu);
        var peer = new IPEndPoint(twin.Peer, PeerPort);

        bool garbage = twin.Device.Write([0x00, 0x01, 0x02, 0x03]);   // first nibble neither 4 nor 6
        bool valid = twin.Device.Write(UdpPackets.Build(peer, twin.Local, "after"u8));

        Assert.False(garbage);
        Assert.True(valid);
        Assert.Equal("after"u8.ToArray(), (await ReceiveWithinTimeout(twin)).Payload);
    }

    [Fact]
    public async Task Close_ReadBlockedOnAnotherThread_ReturnsZeroAndLaterReadsAtOnce()
    {
        using ITunTwin twin = CreateTwin(DefaultMtu);
        Task<int> reader = ReadUntilZero(twin.Device);
        await Task.Delay(200, Ct);
        Assert.False(reader.IsCompleted);

        twin.Device.Close();

        Assert.Equal(0, await reader.WaitAsync(Timeout, Ct));
        Assert.Equal(0, twin.Device.Read(new byte[twin.Device.Mtu]));
        twin.Device.Close();   // idempotent
        Assert.Equal(0, twin.Device.Read(new byte[twin.Device.Mtu]));
    }

    [Fact]
    public async Task Dispose_ReadBlockedOnAnotherThread_ReturnsZeroAndLaterReadsAtOnce()
    {
        using ITunTwin twin = CreateTwin(DefaultMtu);
        Task<int> reader = ReadUntilZero(twin.Device);
        await Task.Delay(200, Ct);
        Assert.False(reader.IsCompleted);

        twin.Device.Dispose();

        Assert.Equal(0, await reader.WaitAsync(Timeout, Ct));
        Assert.Equal(0, twin.Device.Read(new byte[twin.Device.Mtu]));
        twin.Device.Dispose();   // idempotent
    }

    [Fact]
    public async Task Write_AfterClose_StillDelivers()
    {
        using ITunTwin twin = CreateTwin(DefaultMtu);
        var peer = new IPEndPoint(twin.Peer, PeerPort);
        twin.Device.Close();

        bool written = twin.Device.Write(UdpPackets.Build(peer, twin.Local, "late reply"u8));

        Assert.True(written);
        Assert.Equal("late reply"u8.ToArray(), (await ReceiveWithinTimeout(twin)).Payload);
    }

    [Fact]
    public void Write_AfterDispose_ThrowsObjectDisposed()
    {
        using ITunTwin twin = CreateTwin(DefaultMtu);
        byte[] packet = UdpPackets.Build(new IPEndPoint(twin.Peer, PeerPort), twin.Local, "too late"u8);
        twin.Device.Dispose();

        Assert.Throws<ObjectDisposedException>(() => twin.Device.Write(packet));
    }

    /// <summary>
    /// Reads on a dedicated thread, as the egress loop does, into a buffer of exactly
    /// <see cref="ITunDevice.Mtu"/> bytes, until a UDP datagram to <paramref name="destination"/>
    /// arrives; skips what else the kernel sends into the link (e.g. MLD reports).
    /// </summary>
    private static Task<byte[]> ReadUntilDatagramTo(ITunDevice device, IPEndPoint destination) =>
        Task.Factory.StartNew(() =>
        {
            byte[] buffer = new byte[device.Mtu];
            while (true)
            {
                int length = device.Read(buffer);
                if (length == 0)
                {
                    throw new InvalidOperationException($"the device was closed before a datagram to {destination} arrived");
                }
                if (UdpPackets.TryParse(buffer.AsSpan(0, length), out UdpDatagram datagram) && datagram.Destination.Equals(destination))
                {
                    return buffer[..length];
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Reads on a dedicated thread until a read returns 0; returns that 0.</summary>
    private static Task<int> ReadUntilZero(ITunDevice device) =>
        Task.Factory.StartNew(() =>
        {
            byte[] buffer = new byte[device.Mtu];
            int length;
            while ((length = device.Read(buffer)) > 0)
            {
                // whatever the kernel sends meanwhile
            }
            return length;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Waits for a read; on timeout closes the device, so the reader thread does not outlive the test.</summary>
    private static async Task<byte[]> WithinTimeout(Task<byte[]> read, ITunDevice device)
    {
        try
        {
            return await read.WaitAsync(Timeout, Ct);
        }
        catch (TimeoutException)
        {
            device.Close();
            throw;
        }
    }

    private static async Task<(IPEndPoint From, byte[] Payload)> ReceiveWithinTimeout(ITunTwin twin)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Timeout);
        return await twin.ReceiveUdpAsync(timeout.Token);
    }

    private static byte[] RandomBytes(int length)
    {
        byte[] bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}
