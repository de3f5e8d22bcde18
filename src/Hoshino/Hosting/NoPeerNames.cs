using System.Net;
using Hoshino.Peers;

namespace Hoshino.Cli.Hosting;

/// <summary>
/// The peer names a node has without a directory: none. Registered only if nothing else provides
/// <see cref="IPeerNames"/> (TryAdd), so the directory's implementation replaces it; until then
/// status lists peers by address and ping takes addresses.
/// </summary>
internal sealed class NoPeerNames : IPeerNames
{
    public IReadOnlyList<PeerRecord> Peers => [];

    public PeerRecord? Find(string name) => null;

    public PeerRecord? Find(IPAddress address) => null;
}
