using Hoshino.Diagnostics;
using Hoshino.Store;
using Hoshino.Transport;
using Hoshino.UnitTests.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Transport;

/// <summary>Both ends of the doorbell (ADR 0007) over the scripted in-memory store, which passes the store contract.</summary>
public sealed class DoorbellTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly HoshinoMetrics _metrics = new(TimeProvider.System, "test");
    private readonly ScriptedStore _store = new();
    private static readonly TimeSpan ListMax = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Doorbell Mine() => new(_store, Self16, _time, _metrics);

    [Fact]
    public async Task Ring_Stored_TheReceiversCheckSeesANewTag()
    {
        Doorbell receiver = Mine(), sender = new(_store, Peer16, _time, _metrics);
        await sender.RingAsync(Self16, TimeSpan.FromMilliseconds(10), Ct);
        string? listed = (await _store.Inner.ListAsync(Self16 + "/", 10, Ct)).Single().Tag;

        DoorbellCheck quiet = await receiver.CheckAsync(listed, ListMax, Ct);
        Assert.True(await sender.RingAsync(Self16, TimeSpan.FromMilliseconds(10), Ct));
        DoorbellCheck rung = await receiver.CheckAsync(listed, ListMax, Ct);

        Assert.Equal(DoorbellState.Quiet, quiet.State);
        Assert.Equal(DoorbellState.Rung, rung.State);
        Assert.NotEqual(listed, rung.Tag);
        Assert.Equal(2, _metrics.DoorbellsRung);
        Assert.Equal(ObjectKey.DoorbellOf(Self16), receiver.Key);
    }

    [Fact]
    public async Task Ring_TransientFailures_RetriedUpToThreeAttemptsThenCountedFailed()
    {
        var log = new RecordingLogger<Doorbell>();
        Doorbell sender = new(_store, Peer16, TimeProvider.System, _metrics, log);
        _store.BeforeRing = (_, _) => throw new PacketStoreException(StoreErrorKind.Transient, "503 SlowDown");

        bool rung = await sender.RingAsync(Self16, TimeSpan.FromMilliseconds(1), Ct);

        Assert.False(rung);
        Assert.Equal(Doorbell.RingAttempts, _store.RingAttempts);
        Assert.Equal(1, _metrics.DoorbellsFailed);
        Assert.Equal(0, _metrics.DoorbellsRung);
        string warning = Assert.Single(log.Messages(LogLevel.Warning));
        Assert.Contains(ObjectKey.DoorbellOf(Self16), warning, StringComparison.Ordinal);
        Assert.Contains("503 SlowDown", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ring_GivenUpAgainAndAgain_LoggedOncePerIntervalAndCountedEachTime()
    {
        var log = new RecordingLogger<Doorbell>();
        Doorbell sender = new(_store, Peer16, _time, _metrics, log);
        _store.BeforeRing = (_, _) => throw new PacketStoreException(StoreErrorKind.AccessDenied, "403");

        Assert.False(await sender.RingAsync(Self16, TimeSpan.FromMilliseconds(1), Ct));
        Assert.False(await sender.RingAsync(OtherPeer16, TimeSpan.FromMilliseconds(1), Ct));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(await sender.RingAsync(Self16, TimeSpan.FromMilliseconds(1), Ct));

        Assert.Equal(3, _metrics.DoorbellsFailed);
        IReadOnlyList<string> warnings = log.Messages(LogLevel.Warning);
        Assert.Equal(2, warnings.Count);
        Assert.Contains("(1 similar messages suppressed)", warnings[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ring_Aborted_FalseAndNotCountedAsFailed()
    {
        Doorbell sender = new(_store, Peer16, _time, _metrics);
        using var abort = new CancellationTokenSource();
        await abort.CancelAsync();

        bool rung = await sender.RingAsync(Self16, TimeSpan.FromMilliseconds(1), abort.Token);

        Assert.False(rung);
        Assert.Equal(0, _metrics.DoorbellsFailed);
        Assert.Equal(0, _metrics.DoorbellsRung);
    }

    [Fact]
    public async Task Ring_Refused_NotRetried()
    {
        Doorbell sender = new(_store, Peer16, _time, _metrics);
        _store.BeforeRing = (_, _) => throw new PacketStoreException(StoreErrorKind.AccessDenied, "403");

        bool rung = await sender.RingAsync(Self16, TimeSpan.FromMilliseconds(1), Ct);

        Assert.False(rung);
        Assert.Equal(1, _store.RingAttempts);
        Assert.Equal(1, _metrics.DoorbellsFailed);
    }

    [Fact]
    public async Task Check_HeadRefused_CreatesTheDoorbellOncePerInterval()
    {
        Doorbell receiver = Mine();
        _store.BeforeHead = (_, _) => throw new PacketStoreException(StoreErrorKind.AccessDenied, "403 AccessDenied");

        DoorbellCheck first = await receiver.CheckAsync(null, ListMax, Ct);
        DoorbellCheck again = await receiver.CheckAsync(null, ListMax, Ct);
        _time.Advance(ListMax);
        DoorbellCheck later = await receiver.CheckAsync(null, ListMax, Ct);

        Assert.Equal((DoorbellState.Created, DoorbellState.Refused, DoorbellState.Created), (first.State, again.State, later.State));
        Assert.Null(first.Error);
        Assert.IsType<PacketStoreException>(again.Error);
        Assert.Equal(2, _store.RingAttempts); // the doorbell's own PUTs
        Assert.NotNull(await _store.Inner.GetTagAsync(receiver.Key, Ct));
    }

    [Fact]
    public async Task Check_HeadFailsTransiently_Failed()
    {
        _store.BeforeHead = (_, _) => throw new PacketStoreException(StoreErrorKind.Transient, "timeout");

        DoorbellCheck check = await Mine().CheckAsync("tag", ListMax, Ct);

        Assert.Equal(DoorbellState.Failed, check.State);
        Assert.Equal(0, _store.RingAttempts);
    }

    [Fact]
    public async Task Check_DoorbellGoneSinceTheListing_Rung()
    {
        DoorbellCheck check = await Mine().CheckAsync("a tag the last listing showed", ListMax, Ct);

        Assert.Equal((DoorbellState.Rung, (string?)null), (check.State, check.Tag));
    }

    [Fact]
    public async Task Remove_DeletesOwnDoorbell()
    {
        Doorbell receiver = Mine();
        await _store.Inner.PutAsync(receiver.Key, ObjectKey.DoorbellBody(Ulid.NewUlid()), Ct);

        await receiver.RemoveAsync(TimeSpan.FromSeconds(2));

        Assert.Null(await _store.Inner.GetTagAsync(receiver.Key, Ct));
    }
}
