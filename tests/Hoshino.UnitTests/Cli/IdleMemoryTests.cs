using Hoshino.Cli.Hosting;
using Hoshino.Diagnostics;
using Hoshino.Egress;
using Hoshino.UnitTests.Egress;
using Hoshino.UnitTests.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Hoshino.UnitTests.Cli;

/// <summary>The host's idle trim over real metrics and the real egress pool, on a fake clock.</summary>
[Collection(EgressBuffersCollection.Name)] // it empties the static pool that EgressBuffersTests reuse arrays from
public sealed class IdleMemoryTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly HoshinoMetrics _metrics;
    private readonly RecordingLogger<IdleMemory> _log = new();

    public IdleMemoryTests() => _metrics = new HoshinoMetrics(_time, "test");

    private bool Trimmed => _log.Entries.Any(e => e.Id.Id == EventIds.MemoryTrimmed);

    [Fact]
    public async Task ExecuteAsync_NoPacketsAfterAllocation_TrimsAndEmptiesTheEgressPool()
    {
        byte[] pooled = EgressBuffers.Rent(1_500_001);
        EgressBuffers.Return(pooled);
        Assert.Same(pooled, EgressBuffers.Rent(1_500_001)); // the pool keeps it: the check below means something
        EgressBuffers.Return(pooled);
        AllocateGarbage(33 << 20); // more than the rule's 32 MiB since the last trim, whatever ran before
        using var service = new IdleMemory(_metrics, _time, _log);
        await service.StartAsync(TestContext.Current.CancellationToken);

        // Each look moves the fake clock a second: samples are a second apart however the timer's ticks coalesce.
        await Eventually.True(() => { _time.Advance(TimeSpan.FromSeconds(1)); return Trimmed; }, "the quiet node trimmed");
        await service.StopAsync(TestContext.Current.CancellationToken);

        Assert.NotSame(pooled, EgressBuffers.Rent(1_500_001));
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Debug && e.Message.StartsWith("Quiet after traffic: collected and decommitted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ExecuteAsync_PacketsKeepMoving_NoTrimUntilTheyStop()
    {
        AllocateGarbage(33 << 20);
        using var service = new IdleMemory(_metrics, _time, _log);
        await service.StartAsync(TestContext.Current.CancellationToken);

        for (int second = 0; second < 30; second++)
        {
            _metrics.PacketsMoved(second % 2 == 0 ? Direction.Egress : Direction.Ingress, 1, 1280);
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
        Assert.False(Trimmed, "trimmed while packets moved every second");

        // The loop was alive all along: quiet, it trims.
        await Eventually.True(() => { _time.Advance(TimeSpan.FromSeconds(1)); return Trimmed; }, "the node trimmed once packets stopped");
        await service.StopAsync(TestContext.Current.CancellationToken);
    }

    private static void AllocateGarbage(int bytes)
    {
        for (int done = 0; done < bytes; done += 1 << 20)
        {
            GC.KeepAlive(new byte[1 << 20]);
        }
    }
}
