using System.Net;
using Hoshino.Node;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.UnitTests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Hoshino.UnitTests.Node;

public sealed class AddressLeaseTests
{
    private static readonly Address16 Self = Address16.From(IPAddress.Parse("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f"));
    private readonly MemoryPacketStore _store = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-26T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly HashSet<int> _alive = [];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private AddressLease Lease(LeaseHolder me) =>
        new(_store, Self, me, _time, NullLogger<AddressLease>.Instance, pid => _alive.Contains(pid));

    private static LeaseHolder Holder(string instance, string boot = "boot-a", int pid = 100) => new(instance, "host-" + instance, boot, pid);

    private async Task<string> LeaseTextAsync() =>
        System.Text.Encoding.UTF8.GetString((await _store.GetAsync(AddressLease.KeyOf(Self), 4096, Ct))!);

    [Fact]
    public async Task Acquire_NoLease_CreatesOneInTheNodesOwnInbox()
    {
        await Lease(Holder("one")).AcquireAsync(Ct);

        Assert.StartsWith(ObjectKey.InboxOf(Self), AddressLease.KeyOf(Self), StringComparison.Ordinal);
        Assert.Contains("instance=one", await LeaseTextAsync(), StringComparison.Ordinal);
    }

    /// <summary>Advances the fake clock in watch-sized steps until <paramref name="task"/> ends (at most 10 simulated minutes).</summary>
    private async Task<T> RunClockUntilAsync<T>(Task<T> task, Func<Task>? eachStep = null)
    {
        for (int i = 0; i < 120 && !task.IsCompleted; i++)
        {
            await Task.Delay(10, Ct); // let the lease reach its next wait on the fake clock
            _time.Advance(AddressLease.WatchInterval);
            if (eachStep is not null)
            {
                await eachStep();
            }
        }
        Assert.True(task.IsCompleted, "acquiring the lease did not finish within 10 simulated minutes");
        return await task;
    }

    private static async Task<bool> Completes(Task task)
    {
        await task;
        return true;
    }

    [Fact]
    public async Task Acquire_FreshLeaseOfAnotherMachineThatKeepsRenewing_RefusesNamingAddressAndFix()
    {
        AddressLease first = Lease(Holder("clone-1", boot: "boot-a"));
        await first.AcquireAsync(Ct);
        _time.Advance(TimeSpan.FromSeconds(20));

        Task<bool> second = Completes(Lease(Holder("clone-2", boot: "boot-b")).AcquireAsync(Ct));
        AddressConflictException ex = await Assert.ThrowsAsync<AddressConflictException>(() => RunClockUntilAsync(second, () => first.RenewAsync(Ct)));

        Assert.Contains(Self.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains("host host-clone-1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("systemd-machine-id-setup", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--address", ex.Message, StringComparison.Ordinal);
        Assert.Contains("instance=clone-1", await LeaseTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acquire_LeaseOfAnotherMachineExpired_TakesItOver()
    {
        await Lease(Holder("old", boot: "boot-a")).AcquireAsync(Ct);
        _time.Advance(AddressLease.Expiry + TimeSpan.FromSeconds(1));

        await Lease(Holder("new", boot: "boot-b")).AcquireAsync(Ct);

        Assert.Contains("instance=new", await LeaseTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acquire_FreshLeaseOfAnEarlierBootThatStoppedRenewing_TakesItOverWithoutAnotherStart()
    {
        // The machine crashed and rebooted within a minute: its lease looks like a clone's.
        await Lease(Holder("before-crash", boot: "boot-a")).AcquireAsync(Ct);
        _time.Advance(TimeSpan.FromSeconds(10));
        DateTimeOffset started = _time.GetUtcNow();

        Task<bool> acquire = Completes(Lease(Holder("after-reboot", boot: "boot-b")).AcquireAsync(Ct));
        Assert.False(acquire.IsCompleted, "took over a lease renewed 10 s ago without watching it");

        Assert.True(await RunClockUntilAsync(acquire));
        Assert.Contains("instance=after-reboot", await LeaseTextAsync(), StringComparison.Ordinal);
        Assert.InRange(_time.GetUtcNow() - started, TimeSpan.FromSeconds(1), AddressLease.Expiry);
    }

    [Fact]
    public async Task Acquire_SameBootHolderProcessDead_TakesItOverAtOnce()
    {
        await Lease(Holder("crashed", pid: 100)).AcquireAsync(Ct); // pid 100 is not in _alive

        await Lease(Holder("restarted", pid: 200)).AcquireAsync(Ct);

        Assert.Contains("instance=restarted", await LeaseTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acquire_SameBootHolderProcessAlive_RefusesEvenIfNotRenewedForLong()
    {
        _alive.Add(100);
        await Lease(Holder("first", pid: 100)).AcquireAsync(Ct);
        _time.Advance(TimeSpan.FromHours(1));

        AddressConflictException ex = await Assert.ThrowsAsync<AddressConflictException>(() => Lease(Holder("second", pid: 200)).AcquireAsync(Ct));

        Assert.Contains("process 100 on this machine", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acquire_GarbageInLeaseObject_ReplacesIt()
    {
        await _store.PutAsync(AddressLease.KeyOf(Self), "not a lease"u8.ToArray(), Ct);

        await Lease(Holder("me")).AcquireAsync(Ct);

        Assert.Contains("instance=me", await LeaseTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Renew_AnotherLiveHolderTookIt_ReportsConflictAndDoesNotOverwrite()
    {
        AddressLease mine = Lease(Holder("mine", boot: "boot-a"));
        await mine.AcquireAsync(Ct);
        await _store.PutAsync(AddressLease.KeyOf(Self), AddressLease.Serialize(Holder("intruder", boot: "boot-b"), _time.GetUtcNow()), Ct);

        await mine.RenewAsync(Ct);

        Assert.True(mine.Conflict);
        Assert.Contains("instance=intruder", await LeaseTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Renew_OwnLease_UpdatesRenewalTime()
    {
        AddressLease mine = Lease(Holder("mine"));
        await mine.AcquireAsync(Ct);
        _time.Advance(TimeSpan.FromSeconds(30));

        await mine.RenewAsync(Ct);

        Assert.False(mine.Conflict);
        Assert.Contains($"renewed={_time.GetUtcNow().ToUnixTimeMilliseconds()}", await LeaseTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Stopped_DeletesTheLease()
    {
        AddressLease mine = Lease(Holder("mine"));
        await mine.AcquireAsync(Ct);
        using var stop = new CancellationTokenSource();
        Task run = mine.RunAsync(stop.Token);

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Null(await _store.GetAsync(AddressLease.KeyOf(Self), 4096, Ct));
    }

    [Theory]
    [InlineData("")]
    [InlineData("hoshino-lease 2\ninstance=a\nboot=b\npid=1\nrenewed=1\n")]
    [InlineData("hoshino-lease 1\ninstance=a\nboot=b\npid=x\nrenewed=1\n")]
    [InlineData("hoshino-lease 1\ninstance=a\nboot=b\npid=1\nrenewed=99999999999999999\n")]
    public void Parse_Malformed_ReturnsNull(string text) =>
        Assert.Null(AddressLease.Parse(System.Text.Encoding.UTF8.GetBytes(text)));
}
