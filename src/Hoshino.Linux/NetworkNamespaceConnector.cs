using System.Net;
using System.Net.Sockets;

namespace Hoshino.Linux;

/// <summary>
/// Opens TCP connections from another network namespace (<c>hoshino up --store-netns</c>): the tunnel
/// interface lives in the node's namespace while the store is reached from, say, the host's. Name
/// resolution and the socket are made on a short-lived thread that entered the namespace, because
/// both belong to the namespace of the thread that creates them; the connected socket then works
/// from any thread. Connections are pooled by the HTTP client, so this runs rarely.
/// </summary>
public sealed class NetworkNamespaceConnector
{
    private readonly string _path;

    /// <param name="path">A network namespace file, e.g. <c>/var/run/netns/NAME</c> or <c>/proc/PID/ns/net</c>.</param>
    public NetworkNamespaceConnector(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"network namespace file {path} does not exist", path);
        }
        _path = path;
    }

    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        (Socket socket, IPAddress[] addresses) = await NetworkNamespace.RunInAsync(_path, () =>
        {
            IPAddress[] found = IPAddress.TryParse(endpoint.Host, out IPAddress? literal) ? [literal] : Dns.GetHostAddresses(endpoint.Host);
            return (new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }, found);
        });
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
