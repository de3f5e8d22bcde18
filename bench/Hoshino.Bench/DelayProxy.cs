using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Hoshino.Bench;

/// <summary>
/// A TCP relay that holds every chunk of bytes for a fixed time in each direction: the AWS-like
/// profile's "store far away" where the kernel has no sch_netem (this one has no netem module).
/// A request/response exchange gains twice the delay, as with netem on the link; connection set-up
/// does not (the SDK keeps its connections). Each direction buffers at most
/// <see cref="MaxChunksInFlight"/> chunks of up to 64 KiB, so a fast sender meets back-pressure
/// like a TCP window rather than an endless buffer.
/// </summary>
internal static class DelayProxy
{
    private const int ChunkBytes = 64 * 1024;
    private const int MaxChunksInFlight = 64; // 4 MiB per direction and connection

    public static async Task<int> RunAsync(Args args, CancellationToken ct)
    {
        IPEndPoint listen = IPEndPoint.Parse(args.Get("listen"));
        IPEndPoint upstream = IPEndPoint.Parse(args.Get("upstream"));
        TimeSpan delay = TimeSpan.FromMilliseconds(args.GetDouble("delay-ms", 15));
        using var listener = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(listen);
        listener.Listen(512);
        Console.Error.WriteLine($"delay-proxy: {listen} -> {upstream}, +{delay.TotalMilliseconds} ms each way");
        try
        {
            while (true)
            {
                Socket client = await listener.AcceptAsync(ct);
                _ = Task.Run(() => RelayAsync(client, upstream, delay, ct), ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return 0;
        }
    }

    private static async Task RelayAsync(Socket client, IPEndPoint upstream, TimeSpan delay, CancellationToken ct)
    {
        using (client)
        using (var server = new Socket(upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp))
        {
            client.NoDelay = true;
            server.NoDelay = true;
            try
            {
                await server.ConnectAsync(upstream, ct);
                await Task.WhenAll(PumpAsync(client, server, delay, ct), PumpAsync(server, client, delay, ct));
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A side went away; closing both ends tells the other.
            }
        }
    }

    /// <summary>Reads from <paramref name="from"/>, and writes each chunk to <paramref name="to"/> once it is <paramref name="delay"/> old.</summary>
    private static async Task PumpAsync(Socket from, Socket to, TimeSpan delay, CancellationToken ct)
    {
        var queue = Channel.CreateBounded<(long Due, byte[] Buffer, int Length)>(
            new BoundedChannelOptions(MaxChunksInFlight) { SingleReader = true, SingleWriter = true });
        long delayTicks = (long)(delay.TotalSeconds * Stopwatch.Frequency);
        Task writer = Task.Run(async () =>
        {
            try
            {
                await foreach ((long due, byte[] buffer, int length) in queue.Reader.ReadAllAsync(ct))
                {
                    TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, ct);
                    }
                    int sent = 0;
                    while (sent < length)
                    {
                        sent += await to.SendAsync(buffer.AsMemory(sent, length - sent), SocketFlags.None, ct);
                    }
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                to.Shutdown(SocketShutdown.Send); // the end of the stream arrives late too
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                from.Close();
                to.Close();
            }
        }, ct);
        try
        {
            while (true)
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                int read = await from.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (read == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }
                await queue.Writer.WriteAsync((Stopwatch.GetTimestamp() + delayTicks, buffer, read), ct);
            }
        }
        finally
        {
            queue.Writer.TryComplete();
            await writer;
        }
    }
}
