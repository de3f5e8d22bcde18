using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Hoshino.Diagnostics;
using Hoshino.NameService;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Hoshino.UnitTests.NameService.DnsMessages;

namespace Hoshino.UnitTests.NameService;

/// <summary>The responder's sockets on loopback, with hostile TCP clients; time is a fake clock, so idle limits are exact.</summary>
public sealed class DnsServerTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new();
    private readonly HoshinoMetrics _metrics = new(TimeProvider.System, "test");
    private DnsServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = DnsServer.Start(new IPEndPoint(IPAddress.IPv6Loopback, 0),
            new DnsResponder(DnsZone.Create("hoshino"), DnsResponderTests.Names()), _metrics, _time, NullLogger.Instance);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Udp_Query_IsAnswered()
    {
        using var client = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        await client.ConnectAsync(_server.LocalEndPoint, Ct);
        await client.SendAsync(Query("alpha.hoshino", Aaaa), Ct);
        byte[] buffer = new byte[2048];
        int length = await client.ReceiveAsync(buffer, Ct);

        Assert.Equal(DnsResponderTests.Alpha, Assert.Single(Parse(buffer.AsSpan(0, length)).Answers).Address);
        Assert.Equal(1, _metrics.DnsQueries(DnsResult.Answer));
    }

    [Fact]
    public async Task Tcp_SeveralQueriesOnOneConnection_EachAnsweredInTurn()
    {
        using Socket client = await ConnectAsync();
        byte[] both = [.. Framed(Query("alpha.hoshino", Aaaa, id: 1)), .. Framed(Query("gamma.hoshino", Aaaa, id: 2))];
        await client.SendAsync(both, Ct);   // pipelined, in one segment (RFC 7766 6.2.1.1)

        Reply first = Parse(await ReadFramedAsync(client));
        Reply second = Parse(await ReadFramedAsync(client));

        Assert.Equal((1, 0), (first.Id, first.FullRcode));
        Assert.Equal((2, 3), (second.Id, second.FullRcode));
    }

    [Fact]
    public async Task Tcp_QueryDrippedSlowerThanTheIdleTimeout_ClosesTheConnection()
    {
        using Socket client = await ConnectAsync();
        await client.SendAsync(new byte[] { 0 }, Ct);   // half a length prefix, then nothing: slowloris
        Task<bool> closed = ClosedByServerAsync(client);

        // The server arms its deadline when it starts waiting, a moment after the connection: the
        // clock moves a timeout at a time until it fires (the first step may come before it was armed).
        for (int step = 0; step < 100 && !closed.IsCompleted; step++)
        {
            Assert.Equal(0, _metrics.DnsTcpClosedCount(DnsTcpCloseReason.Idle));
            _time.Advance(DnsServer.TcpIdleTimeout);
            await Task.WhenAny(closed, Task.Delay(20, Ct));
        }

        Assert.True(await closed);
        await WaitForAsync(() => _metrics.DnsTcpClosedCount(DnsTcpCloseReason.Idle) == 1);
    }

    [Fact]
    public async Task Tcp_IdleBetweenQueriesBelowTheTimeout_StaysOpen()
    {
        using Socket client = await ConnectAsync();
        await client.SendAsync(Framed(Query("beta.hoshino", Aaaa)), Ct);
        Assert.Equal(0, Parse(await ReadFramedAsync(client)).FullRcode);

        _time.Advance(DnsServer.TcpIdleTimeout - TimeSpan.FromMilliseconds(1));
        await client.SendAsync(Framed(Query("beta.hoshino", Aaaa)), Ct);

        Assert.Equal(0, Parse(await ReadFramedAsync(client)).FullRcode);
        Assert.Equal(0, _metrics.DnsTcpClosedCount(DnsTcpCloseReason.Idle));
    }

    [Fact]
    public async Task Tcp_LengthPrefixOverTheLimit_ClosesTheConnection()
    {
        using Socket client = await ConnectAsync();
        await client.SendAsync(new byte[] { 0xFF, 0xFF, 1, 2, 3 }, Ct);

        Assert.True(await ClosedByServerAsync(client));
        await WaitForAsync(() => _metrics.DnsTcpClosedCount(DnsTcpCloseReason.TooLarge) == 1);
    }

    [Fact]
    public async Task Tcp_AResponseInsteadOfAQuery_ClosesTheConnection()
    {
        using Socket client = await ConnectAsync();
        byte[] response = Query("beta.hoshino", Aaaa);
        response[2] |= 0x80;
        await client.SendAsync(Framed(response), Ct);

        Assert.True(await ClosedByServerAsync(client));
        await WaitForAsync(() => _metrics.DnsTcpClosedCount(DnsTcpCloseReason.Unanswerable) == 1);
        Assert.Equal(1, _metrics.DnsQueries(DnsResult.Ignored));
    }

    [Fact]
    public async Task Tcp_MoreConnectionsThanTheLimit_TheExtraOnesAreClosedAndTheOthersStillServed()
    {
        var open = new List<Socket>();
        try
        {
            for (int i = 0; i < DnsServer.MaxTcpConnections; i++)
            {
                open.Add(await ConnectAsync());
            }
            // Each is accepted in turn; a query answered on the last proves all of them were.
            await open[^1].SendAsync(Framed(Query("beta.hoshino", Aaaa)), Ct);
            Assert.Equal(0, Parse(await ReadFramedAsync(open[^1])).FullRcode);

            using Socket extra = await ConnectAsync();
            Assert.True(await ClosedByServerAsync(extra));
            Assert.Equal(1, _metrics.DnsTcpClosedCount(DnsTcpCloseReason.TooMany));

            await open[0].SendAsync(Framed(Query("alpha.hoshino", Aaaa)), Ct);
            Assert.Equal(0, Parse(await ReadFramedAsync(open[0])).FullRcode);
        }
        finally
        {
            open.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Dispose_WithAConnectionOpenAndAQueryAnswered_StopsCleanly()
    {
        using Socket client = await ConnectAsync();
        await client.SendAsync(Framed(Query("beta.hoshino", Aaaa)), Ct);
        Assert.Equal(0, Parse(await ReadFramedAsync(client)).FullRcode);

        await _server.DisposeAsync();

        // A closed socket under a pending read is a stop, not a failed loop (which would stop the node with exit 1).
        Assert.True(_server.Completion.IsCompletedSuccessfully, $"the loops ended {_server.Completion.Status}: {_server.Completion.Exception}");
        Assert.True(await ClosedByServerAsync(client));
    }

    /// <summary>
    /// Waits for the server to close: end of stream, or a reset when it closed with bytes of ours
    /// still unread (the kernel then sends RST, not FIN). Anything received first is a failure.
    /// </summary>
    private static async Task<bool> ClosedByServerAsync(Socket client)
    {
        try
        {
            return await client.ReceiveAsync(new byte[16], Ct) == 0;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_server.LocalEndPoint, Ct);
        return socket;
    }

    private static byte[] Framed(byte[] message) => [(byte)(message.Length >> 8), (byte)message.Length, .. message];

    private static async Task<byte[]> ReadFramedAsync(Socket socket)
    {
        byte[] prefix = new byte[2];
        await ReadExactlyAsync(socket, prefix);
        byte[] message = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await ReadExactlyAsync(socket, message);
        return message;
    }

    private static async Task ReadExactlyAsync(Socket socket, byte[] buffer)
    {
        for (int read = 0; read < buffer.Length;)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), Ct);
            Assert.True(n > 0, "the server closed the connection");
            read += n;
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10, Ct);
        }
        Assert.True(condition());
    }
}
