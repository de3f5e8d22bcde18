using Hoshino.Diagnostics;
using Hoshino.Store;
using Hoshino.UnitTests.TestSupport;

namespace Hoshino.UnitTests.Store;

public sealed class InstrumentedPacketStoreTests
{
    private readonly HoshinoMetrics _metrics = new(TimeProvider.System, "test");
    private readonly ScriptedStore _inner = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EachCall_CountsOneRequestOfItsOperation()
    {
        var store = new InstrumentedPacketStore(_inner, _metrics);

        await store.PutAsync("a/b/c", new byte[3], Ct);
        await store.PutAsync("a/b/d", new byte[3], Ct);
        await store.ListAsync("a/", 10, Ct);
        await store.GetAsync("a/b/c", 10, Ct);
        await store.DeleteAsync(["a/b/c", "a/b/d"], Ct);
        await store.ProbeAsync("a/", Ct);

        Assert.Equal(2, _metrics.Requests(StoreOperation.Put));
        Assert.Equal(2, _metrics.Requests(StoreOperation.List)); // the probe is a LIST
        Assert.Equal(1, _metrics.Requests(StoreOperation.Get));
        Assert.Equal(1, _metrics.Requests(StoreOperation.Delete));
        Assert.Equal(2, PrometheusText.Value(_metrics.WritePrometheus(), "hoshino_s3_request_duration_seconds_count{operation=\"put\"}"));
    }

    [Fact]
    public async Task Delete_NoKeys_NoRequest()
    {
        var store = new InstrumentedPacketStore(_inner, _metrics);

        await store.DeleteAsync([], Ct);

        Assert.Equal(0, _metrics.Requests(StoreOperation.Delete));
        Assert.Equal(0, _inner.DeleteCalls);
    }

    [Fact]
    public async Task Failure_CountedByKindAndRethrown()
    {
        _inner.BeforePut = (_, _) => throw new PacketStoreException(StoreErrorKind.AccessDenied, "denied");
        _inner.BeforeGet = (_, _) => throw new InvalidOperationException("surprise");
        var store = new InstrumentedPacketStore(_inner, _metrics);

        var ex = await Assert.ThrowsAsync<PacketStoreException>(() => store.PutAsync("a/b/c", new byte[1], Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.GetAsync("a/b/c", 10, Ct));

        Assert.Equal(StoreErrorKind.AccessDenied, ex.Kind);
        Assert.Equal(1, _metrics.Requests(StoreOperation.Put));
        Assert.Equal(1, _metrics.Errors(StoreOperation.Put, StoreErrorKind.AccessDenied));
        Assert.Equal(1, _metrics.Errors(StoreOperation.Get, StoreErrorKind.Other));
    }

    [Fact]
    public async Task Cancellation_NotCountedAsError()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var store = new InstrumentedPacketStore(_inner, _metrics);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PutAsync("a/b/c", new byte[1], cancelled.Token));

        foreach (StoreErrorKind kind in Enum.GetValues<StoreErrorKind>())
        {
            Assert.Equal(0, _metrics.Errors(StoreOperation.Put, kind));
        }
    }

    [Fact]
    public async Task Calls_PassedThroughUnchanged()
    {
        var store = new InstrumentedPacketStore(_inner, _metrics);
        byte[] body = [1, 2, 3];

        await store.PutAsync("a/b/c", body, Ct);

        Assert.Equal(body, await store.GetAsync("a/b/c", 10, Ct));
        string? tag = await _inner.GetTagAsync("a/b/c", Ct);
        Assert.NotNull(tag);
        Assert.Equal([("a/b/c", 3L, tag)], (await store.ListAsync("a/", 10, Ct)).Select(o => (o.Key, o.Size, o.Tag)));
        Assert.Equal(tag, await store.GetTagAsync("a/b/c", Ct));
        Assert.Equal(1, _metrics.Requests(StoreOperation.Head));
        Assert.Equal(_inner.Description, store.Description);
    }
}
