using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Hoshino.Linux.Netlink;
using Hoshino.Linux.Tun;
using Hoshino.TestSupport.Tunnel;
using Hoshino.Tunnel;

namespace Hoshino.IntegrationTests.Linux;

/// <summary>
/// A real TUN interface, each test in its own network namespace: the device contract that
/// <see cref="ChannelTunDevice"/> passes too, and what only the kernel's device does.
/// </summary>
[Trait("Category", "Integration")]
public sealed class LinuxTunDeviceTests : TunDeviceContract
{
    private const string Interface = "hsn0";
    private const byte IcmpV6 = 58, EchoRequest = 128, EchoReply = 129;
    private static readonly IPAddress Local = IPAddress.Parse("fd5e:59b8:f71d:9a3e::1");
    private static readonly IPAddress Peer = IPAddress.Parse("fd5e:59b8:f71d:9a3e::2");
    private static readonly LinkConfig Config = new(Interface, Local, 64, 53049);

    protected override ITunTwin CreateTwin(int mtu) => new LinuxTunTwin(mtu);

    [Fact]
    public async Task ReadWrite_PingToPeerInPrefix_ReadsEchoRequestAndDeliversReply()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var ns = TestNetworkNamespace.Create();
        using LinuxTunDevice tun = OpenConfigured(ns);

        // The reader thread forwards every packet; the reply is written from this thread while the
        // reader sits in Read: Write must work concurrently with a blocked Read.
        var packets = Channel.CreateUnbounded<byte[]>();
        Task reader = StartReader(tun, packets.Writer);
        using Process ping = ns.Start("ping", "-6", "-c", "1", "-W", "5", Peer.ToString());
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            byte[] request = await ReadUntilEchoRequestAsync(packets.Reader, timeout.Token);

            Assert.Equal(Local, new IPAddress(request.AsSpan(8, 16)));
            Assert.Equal(Peer, new IPAddress(request.AsSpan(24, 16)));
            Assert.True(tun.Write(EchoReplyTo(request)));

            await ping.WaitForExitAsync(timeout.Token);
            Assert.True(ping.ExitCode == 0, $"ping failed: {await ping.StandardOutput.ReadToEndAsync(ct)}");
        }
        finally
        {
            if (!ping.HasExited)
                ping.Kill();
            tun.Close();
            await reader.WaitAsync(TimeSpan.FromSeconds(5), ct);
        }
    }

    [Fact]
    public async Task Dispose_ReadBlockedOnAnotherThread_ReadReturnsZeroAndInterfaceIsRemoved()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var ns = TestNetworkNamespace.Create();
        LinuxTunDevice tun = OpenConfigured(ns);
        Assert.True(ns.HasLink(Interface));
        Task<int> read = Task.Factory.StartNew(() => tun.Read(new byte[tun.Mtu]), ct,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.Delay(200, ct);

        tun.Dispose();

        Assert.Equal(0, await read.WaitAsync(TimeSpan.FromSeconds(5), ct));
        Assert.False(ns.HasLink(Interface));
        Assert.Equal(0, tun.Read(new byte[tun.Mtu]));
    }

    [Fact]
    public void Write_LinkDown_ReturnsFalse()
    {
        using var ns = TestNetworkNamespace.Create();
        using LinuxTunDevice tun = ns.Run(() => LinuxTunDevice.Open(Interface, 1500));

        Assert.False(tun.Write(EchoReplyTo(EchoRequestPacket())));   // EIO
    }

    [Fact]
    public void Open_NameLongerThan15Bytes_ThrowsNamingTheOperation()
    {
        using var ns = TestNetworkNamespace.Create();

        TunnelException error = ns.Run(() => Assert.Throws<TunnelException>(() => LinuxTunDevice.Open("hoshino-tunnel-0", 1500)));

        Assert.StartsWith("creating TUN interface 'hoshino-tunnel-0': an interface name must be 1 to 15 bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Config, Hoshino.Cli.OperatorErrors.ExitCodeOf(error));
        Assert.Empty(ns.IpJson("link", "show", "type", "tun").EnumerateArray());
    }

    [Fact]
    public void Open_NameHeldByAnotherDevice_ThrowsSayingItIsInUse()
    {
        using var ns = TestNetworkNamespace.Create();
        using LinuxTunDevice first = ns.Run(() => LinuxTunDevice.Open(Interface, 1500));

        TunnelException error = ns.Run(() => Assert.Throws<TunnelException>(() => LinuxTunDevice.Open(Interface, 1500)));

        Assert.StartsWith($"creating TUN interface {Interface}: Device or resource busy (another process", error.Message, StringComparison.Ordinal);
        Assert.True(ns.HasLink(Interface));   // the first device is untouched
    }

    [Fact]
    public void Open_NameWithKernelNumber_ReportsTheChosenName()
    {
        using var ns = TestNetworkNamespace.Create();

        using LinuxTunDevice tun = ns.Run(() => LinuxTunDevice.Open("hsn%d", 1500));

        Assert.Equal("hsn0", tun.Name);
        Assert.True(ns.HasLink("hsn0"));
    }

    private static LinuxTunDevice OpenConfigured(TestNetworkNamespace ns) => ns.Run(() =>
    {
        LinuxTunDevice tun = LinuxTunDevice.Open(Interface, Config.Mtu);
        using var links = new LinkConfigurator();
        links.Apply(Config);
        return tun;
    });

    private static Task StartReader(LinuxTunDevice tun, ChannelWriter<byte[]> packets) =>
        Task.Factory.StartNew(() =>
        {
            byte[] buffer = new byte[tun.Mtu];
            int length;
            while ((length = tun.Read(buffer)) > 0)
                packets.TryWrite(buffer[..length]);
            packets.Complete();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Skips what else the kernel sends into the link (e.g. MLD reports).</summary>
    private static async Task<byte[]> ReadUntilEchoRequestAsync(ChannelReader<byte[]> packets, CancellationToken ct)
    {
        await foreach (byte[] packet in packets.ReadAllAsync(ct))
        {
            if (packet.Length >= 48 && packet[0] >> 4 == 6 && packet[6] == IcmpV6 && packet[40] == EchoRequest)
                return packet;
        }
        throw new InvalidOperationException("device closed before an echo request arrived");
    }

    /// <summary>An ICMPv6 echo request from <see cref="Local"/> to <see cref="Peer"/>, checksummed.</summary>
    private static byte[] EchoRequestPacket()
    {
        byte[] packet = new byte[40 + 8 + 4];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(packet.Length - 40));
        packet[6] = IcmpV6;
        packet[7] = 64;
        Local.TryWriteBytes(packet.AsSpan(8, 16), out _);
        Peer.TryWriteBytes(packet.AsSpan(24, 16), out _);
        packet[40] = EchoRequest;
        "ping"u8.CopyTo(packet.AsSpan(48));
        SetIcmpV6Checksum(packet);
        return packet;
    }

    /// <summary>The echo reply the peer would send: addresses swapped, type 129, same id, sequence and data.</summary>
    private static byte[] EchoReplyTo(byte[] request)
    {
        byte[] reply = (byte[])request.Clone();
        request.AsSpan(8, 16).CopyTo(reply.AsSpan(24, 16));
        request.AsSpan(24, 16).CopyTo(reply.AsSpan(8, 16));
        reply[7] = 64;
        reply[40] = EchoReply;
        reply[41] = 0;
        SetIcmpV6Checksum(reply);
        return reply;
    }

    /// <summary>RFC 4443 §2.3: one's complement sum over the RFC 8200 §8.1 pseudo-header and the message.</summary>
    private static void SetIcmpV6Checksum(byte[] packet)
    {
        int length = packet.Length - 40;
        packet[42] = packet[43] = 0;
        uint sum = 0;
        for (int i = 8; i < 40; i += 2)   // source and destination addresses
            sum += BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(i));
        sum += (uint)length + IcmpV6;     // upper-layer length and next header
        for (int i = 40; i < packet.Length; i += 2)
            sum += i + 1 < packet.Length ? BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(i)) : (uint)packet[i] << 8;
        while (sum > 0xFFFF)
            sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(42), (ushort)~sum);
    }

    /// <summary>
    /// The kernel side: a namespace of its own with the link configured (address ::1/64, the /64
    /// routed into the device) and a UDP socket bound on the node's address. What the socket sends
    /// to the peer, the kernel routes into the device; what the device is given for ::1, the kernel
    /// checks and delivers to the socket.
    /// </summary>
    private sealed class LinuxTunTwin : ITunTwin
    {
        private readonly TestNetworkNamespace _ns;
        private readonly LinuxTunDevice _tun;
        private readonly Socket _socket;

        public LinuxTunTwin(int mtu)
        {
            _ns = TestNetworkNamespace.Create();
            try
            {
                (_tun, _socket) = _ns.Run(() =>
                {
                    LinuxTunDevice tun = LinuxTunDevice.Open(Interface, mtu);
                    try
                    {
                        using (var links = new LinkConfigurator())
                            links.Apply(Config with { Mtu = mtu });
                        var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
                        socket.Bind(new IPEndPoint(LinuxTunDeviceTests.Local, 0));   // a socket belongs to the namespace it was made in
                        return (tun, socket);
                    }
                    catch
                    {
                        tun.Dispose();
                        throw;
                    }
                });
            }
            catch
            {
                _ns.Dispose();
                throw;
            }
            Local = (IPEndPoint)_socket.LocalEndPoint!;
            try
            {
                WaitForLocalRoute();
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public ITunDevice Device => _tun;

        public IPEndPoint Local { get; }

        public IPAddress Peer => LinuxTunDeviceTests.Peer;

        public void SendUdp(IPEndPoint destination, ReadOnlySpan<byte> payload) =>
            Assert.Equal(payload.Length, _socket.SendTo(payload, SocketFlags.None, destination));

        public async Task<(IPEndPoint From, byte[] Payload)> ReceiveUdpAsync(CancellationToken cancellationToken)
        {
            byte[] buffer = new byte[65536];
            SocketReceiveFromResult result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None,
                new IPEndPoint(IPAddress.IPv6Any, 0), cancellationToken);
            return ((IPEndPoint)result.RemoteEndPoint, buffer[..result.ReceivedBytes]);
        }

        /// <summary>
        /// The kernel installs the address's route in the local table from a work queue, a moment
        /// after RTM_NEWADDR returns (NODAD or not): in 2 of 30 twins it was not there yet when this
        /// first looked. A packet for the address that comes before it is dropped, which in a node
        /// costs a packet at start-up and here a test.
        /// </summary>
        private void WaitForLocalRoute()
        {
            var waited = Stopwatch.StartNew();
            while (!_ns.IpJson("-6", "route", "show", "table", "local", "dev", Interface).EnumerateArray()
                       .Any(r => r.GetProperty("dst").GetString() == LinuxTunDeviceTests.Local.ToString()))
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(5), $"no local route for {LinuxTunDeviceTests.Local} after {waited.Elapsed}");
                Thread.Sleep(10);
            }
        }

        public void Dispose()
        {
            _socket.Dispose();
            _tun.Dispose();
            _ns.Dispose();
        }
    }
}
