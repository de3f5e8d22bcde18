using System.Net;
using Hoshino.Diagnostics;
using Hoshino.Egress;
using Hoshino.Ingress;
using Hoshino.Node;
using Hoshino.Store;
using Hoshino.Tunnel;
using Hoshino.UnitTests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Node;

public sealed class HoshinoNodeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class FakeMachine(int pid) : IHostMachine
    {
        public string HostName => "test";
        public string BootId => "boot";
        public int ProcessId => pid;
        public bool IsProcessAlive(int other) => other == pid;
    }

    private static HoshinoNode Build(IPAddress address, IPacketStore store, HoshinoMetrics metrics, int pid) =>
        new(new NodeConfig(address, Network, new IngressOptions { PollMax = TimeSpan.FromMilliseconds(50) }, new EgressOptions()),
            store, new FakeMachine(pid), metrics, TimeProvider.System, NullLoggerFactory.Instance);

    [Fact]
    public async Task Run_TwoNodesOnOneStore_APacketCrossesAndTheLeasesAreHeldThenReleased()
    {
        var store = new MemoryPacketStore();
        var metricsA = new HoshinoMetrics(TimeProvider.System, "test");
        var metricsB = new HoshinoMetrics(TimeProvider.System, "test");
        HoshinoNode a = Build(Self, store, metricsA, 1), b = Build(Peer, store, metricsB, 2);
        await a.AcquireAddressAsync(Ct);
        await b.AcquireAddressAsync(Ct);
        using var tunA = new ChannelTunDevice("a0");
        using var tunB = new ChannelTunDevice("b0");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task runA = a.RunAsync(tunA, stop.Token), runB = b.RunAsync(tunB, stop.Token);
        Assert.NotNull(await store.GetAsync(AddressLease.KeyOf(Self16), 4096, Ct));

        byte[] packet = Numbered(Self, Peer, 42);
        tunA.Inject(packet);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        wait.CancelAfter(TimeSpan.FromSeconds(10));
        byte[] arrived = await tunB.Written.ReadAsync(wait.Token);

        Assert.Equal(packet, arrived);
        await stop.CancelAsync();
        await Task.WhenAll(runA, runB).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Null(await store.GetAsync(AddressLease.KeyOf(Self16), 4096, Ct)); // released on a clean stop
    }

    /// <summary>A device whose reads fail: the egress reader cannot go on.</summary>
    private sealed class BrokenTun : ITunDevice
    {
        public string Name => "broken0";
        public int Mtu => 1500;
        public int Read(Span<byte> buffer) => throw new IOException("read failed");
        public bool Write(ReadOnlySpan<byte> packet) => true;
        public void Close()
        {
        }
        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task Run_ALoopFails_TheOthersStopAndTheFailureNamesTheLoop()
    {
        var metrics = new HoshinoMetrics(TimeProvider.System, "test");
        HoshinoNode node = Build(Self, new MemoryPacketStore(), metrics, 1);

        NodeLoopException ex = await Assert.ThrowsAsync<NodeLoopException>(
            () => node.RunAsync(new BrokenTun(), Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct));

        Assert.Equal("egress", ex.Loop);
        Assert.Contains("read failed", ex.Message, StringComparison.Ordinal);
    }
}
