using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>A TCP transfer through the tunnel, from A's namespace to B's, checked by SHA-256.</summary>
internal static class TcpTransfer
{
    /// <summary>
    /// Sends <paramref name="payload"/> from a socket in A's namespace to a listener in B's and returns
    /// the SHA-256 of what arrived. <paramref name="chunkDelay"/> paces the sender (64 KiB chunks), so
    /// that a fault can be injected while the transfer runs.
    /// </summary>
    public static async Task<byte[]> RunAsync(RunningNode from, RunningNode to, byte[] payload, TimeSpan chunkDelay, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        using Socket listener = Netns.CreateTcpSocket(to.Namespace.Name);
        listener.Bind(new IPEndPoint(to.Address, 0));
        listener.Listen(1);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        CancellationToken ct = deadline.Token;

        Task<byte[]> receive = Task.Run(async () =>
        {
            using Socket connection = await listener.AcceptAsync(ct);
            using var stream = new NetworkStream(connection);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] buffer = new byte[64 * 1024];
            int read;
            while ((read = await stream.ReadAsync(buffer, ct)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
            return hash.GetHashAndReset();
        }, ct);

        using Socket client = Netns.CreateTcpSocket(from.Namespace.Name);
        await client.ConnectAsync(new IPEndPoint(to.Address, port), ct);
        using (var stream = new NetworkStream(client, ownsSocket: false))
        {
            for (int offset = 0; offset < payload.Length; offset += 64 * 1024)
            {
                await stream.WriteAsync(payload.AsMemory(offset, Math.Min(64 * 1024, payload.Length - offset)), ct);
                if (chunkDelay > TimeSpan.Zero)
                {
                    await Task.Delay(chunkDelay, ct);
                }
            }
        }
        client.Shutdown(SocketShutdown.Send);
        return await receive;
    }
}
