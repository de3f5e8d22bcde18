using System.Net;
using Hoshino.Peers;
using Hoshino.TestSupport.Peers;

namespace Hoshino.UnitTests.NameService;

public sealed class FixedPeerNamesTests : PeerNamesContract
{
    protected override Task<IPeerNames> CreateAsync(IReadOnlyList<(string Name, IPAddress Address)> records) =>
        Task.FromResult<IPeerNames>(new FixedPeerNames(records.Select(r =>
            new PeerRecord(r.Name, r.Address, "0.1.0", DateTimeOffset.UnixEpoch, false, DateTimeOffset.UnixEpoch))));
}
