using System.Globalization;
using System.Text;
using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Store;
using Microsoft.Extensions.Logging;

namespace Hoshino.Node;

/// <summary>Who holds an address lease: enough to tell this process, an earlier run on this boot, and another machine apart.</summary>
/// <param name="Instance">Random per process.</param>
/// <param name="Host">Host name, for the operator.</param>
/// <param name="BootId">The kernel's boot id: differs between two machines even when they share a machine-id (a cloned VM).</param>
/// <param name="Pid">Process id on that boot.</param>
public sealed record LeaseHolder(string Instance, string Host, string BootId, int Pid)
{
    /// <summary>This process on <paramref name="machine"/>, with a fresh instance id.</summary>
    public static LeaseHolder Of(IHostMachine machine) =>
        new(Guid.NewGuid().ToString("n"), machine.HostName, machine.BootId, machine.ProcessId);
}

/// <summary>
/// One node per address. Two machines cloned from one image share a machine-id, hence an address,
/// and would silently split each other's traffic. Each node therefore holds a lease object in its
/// own inbox, <c>{self}/{self}/lease</c> (writable under the node's own name, readable in its own
/// inbox: the least-privilege policy already allows it), created with <c>If-None-Match: *</c>,
/// renewed every <see cref="RenewInterval"/> and deleted on a clean stop. A lease held by a live
/// process — renewed within <see cref="Expiry"/> by another machine, or on this boot by a process
/// that still runs — stops the second node before it touches the network.
/// </summary>
public sealed partial class AddressLease
{
    public static readonly TimeSpan RenewInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Expiry = TimeSpan.FromSeconds(90);
    private const int MaxLeaseBytes = 4096;

    private readonly IPacketStore _store;
    private readonly Address16 _self;
    private readonly LeaseHolder _me;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<int, bool> _processAlive;
    private readonly LogLimiter _conflictLog;

    public AddressLease(IPacketStore store, Address16 self, LeaseHolder me, TimeProvider time, ILogger<AddressLease> logger,
        Func<int, bool> processAlive)
    {
        _store = store;
        _self = self;
        _me = me;
        _time = time;
        _logger = logger;
        _processAlive = processAlive;
        _conflictLog = new LogLimiter(time, TimeSpan.FromMinutes(1));
    }

    /// <summary>The lease's key, relative to the store's key prefix. The ingress loop leaves it alone.</summary>
    public static string KeyOf(Address16 node) => $"{node}/{node}/lease";

    public string Key => KeyOf(_self);

    /// <summary>True while another live node claims this address (set by renewals); a metric.</summary>
    public bool Conflict { get; private set; }

    /// <summary>Takes the lease, or throws <see cref="AddressConflictException"/> naming the other holder and the fix.</summary>
    public async Task AcquireAsync(CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < 5; attempt++)
        {
            if (await _store.PutIfAbsentAsync(Key, Serialize(_me, _time.GetUtcNow()), cancellationToken))
            {
                return;
            }
            (LeaseHolder Holder, DateTimeOffset Renewed)? existing = await ReadAsync(cancellationToken);
            if (existing is null)
            {
                continue; // released between our PUT and GET: try again
            }
            if (IsLive(existing.Value.Holder, existing.Value.Renewed) && existing.Value.Holder.BootId != _me.BootId
                && !await RenewedAgainAsync(existing.Value, cancellationToken))
            {
                existing = (existing.Value.Holder, DateTimeOffset.MinValue); // it stopped renewing: not live
            }
            if (!IsLive(existing.Value.Holder, existing.Value.Renewed))
            {
                // Stale, or an earlier run of ours that died: remove it and race for it like anyone else.
                Log.TakingOver(_logger, _self.ToString(), existing.Value.Holder.Host, existing.Value.Holder.Pid);
                await _store.DeleteAsync([Key], cancellationToken);
                continue;
            }
            throw new AddressConflictException(Describe(existing.Value.Holder, existing.Value.Renewed));
        }
        throw new AddressConflictException($"taking the lease on {_self}: it kept changing hands; is another node starting with this address?");
    }

    /// <summary>How often <see cref="RenewedAgainAsync"/> looks at the lease while it waits.</summary>
    internal static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A lease renewed lately by another boot is a clone's, or this machine's own from before a crash
    /// and a quick reboot: the two look alike (a reboot changes the boot id). A live holder renews
    /// every <see cref="RenewInterval"/>, so watch the lease for two of those (or until it would
    /// expire, if sooner): renewed again means a live node holds it; not renewed, it was ours, and a
    /// node that crashed comes back by itself instead of refusing to start for good.
    /// </summary>
    private async Task<bool> RenewedAgainAsync((LeaseHolder Holder, DateTimeOffset Renewed) seen, CancellationToken cancellationToken)
    {
        TimeSpan age = _time.GetUtcNow() - seen.Renewed;
        TimeSpan wait = TimeSpan.FromTicks(Math.Clamp((Expiry - age).Ticks, 0, (2 * RenewInterval + WatchInterval).Ticks));
        Log.WaitingForHolder(_logger, _self.ToString(), seen.Holder.Host, Math.Max(0, age.TotalSeconds), wait.TotalSeconds);
        long started = _time.GetTimestamp();
        while (_time.GetElapsedTime(started) < wait)
        {
            await Task.Delay(WatchInterval, _time, cancellationToken);
            (LeaseHolder Holder, DateTimeOffset Renewed)? now = await ReadAsync(cancellationToken);
            if (now is null)
            {
                return false; // released: free to take
            }
            if (now.Value != seen)
            {
                return now.Value.Holder.Instance.Length > 0; // renewed, or taken by another live node (not garbage)
            }
        }
        return false;
    }

    /// <summary>Renews the lease until <paramref name="stoppingToken"/> fires, then deletes it. Store errors are retried next round.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(RenewInterval, _time, stoppingToken);
                await RenewAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (!Conflict)
            {
                await _store.DeleteAsync([Key], timeout.Token);
            }
        }
        catch (Exception ex) when (ex is PacketStoreException or OperationCanceledException)
        {
            // It expires by itself.
        }
    }

    internal async Task RenewAsync(CancellationToken cancellationToken)
    {
        try
        {
            (LeaseHolder Holder, DateTimeOffset Renewed)? existing = await ReadAsync(cancellationToken);
            if (existing is { } other && other.Holder.Instance != _me.Instance && IsLive(other.Holder, other.Renewed))
            {
                // Someone took our address while we run (e.g. a clone started while our store was unreachable).
                Conflict = true;
                if (_conflictLog.TryEnter(out _))
                {
                    Log.Conflict(_logger, Describe(other.Holder, other.Renewed));
                }
                return;
            }
            Conflict = false;
            await _store.PutAsync(Key, Serialize(_me, _time.GetUtcNow()), cancellationToken);
        }
        catch (PacketStoreException ex)
        {
            Log.RenewFailed(_logger, ex.Message);
        }
    }

    private bool IsLive(LeaseHolder holder, DateTimeOffset renewed)
    {
        if (holder.BootId == _me.BootId)
        {
            // This machine, this boot: the pid says for sure.
            return holder.Pid != _me.Pid && _processAlive(holder.Pid);
        }
        return _time.GetUtcNow() - renewed < Expiry;
    }

    private string Describe(LeaseHolder holder, DateTimeOffset renewed)
    {
        string where = holder.BootId == _me.BootId ? $"process {holder.Pid} on this machine" : $"host {holder.Host} (pid {holder.Pid})";
        double ago = Math.Max(0, (_time.GetUtcNow() - renewed).TotalSeconds);
        return $"another node already runs as {_self}: {where}, lease renewed {ago:0} s ago. A cloned machine keeps its machine-id: on the clone run "
            + "'rm /etc/machine-id && systemd-machine-id-setup', or give it its own --address";
    }

    private async Task<(LeaseHolder Holder, DateTimeOffset Renewed)?> ReadAsync(CancellationToken cancellationToken)
    {
        byte[]? body;
        try
        {
            body = await _store.GetAsync(Key, MaxLeaseBytes, cancellationToken);
        }
        catch (PacketStoreException ex) when (ex.Kind == StoreErrorKind.TooLarge)
        {
            return (new LeaseHolder("", "", "", 0), DateTimeOffset.MinValue); // not ours, not live: replace it
        }
        return body is null ? null : Parse(body) ?? (new LeaseHolder("", "", "", 0), DateTimeOffset.MinValue);
    }

    internal static byte[] Serialize(LeaseHolder holder, DateTimeOffset renewed) => Encoding.UTF8.GetBytes(
        $"hoshino-lease 1\ninstance={holder.Instance}\nhost={holder.Host}\nboot={holder.BootId}\npid={holder.Pid}\nrenewed={renewed.ToUnixTimeMilliseconds()}\n");

    internal static (LeaseHolder Holder, DateTimeOffset Renewed)? Parse(byte[] body)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines[0] != "hoshino-lease 1")
        {
            return null;
        }
        foreach (string line in lines.Skip(1))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                fields[line[..eq]] = line[(eq + 1)..];
            }
        }
        if (!fields.TryGetValue("instance", out string? instance) || !fields.TryGetValue("boot", out string? boot)
            || !fields.TryGetValue("pid", out string? pidText) || !int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            || !fields.TryGetValue("renewed", out string? renewedText)
            || !long.TryParse(renewedText, NumberStyles.None, CultureInfo.InvariantCulture, out long renewedMs)
            || renewedMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return null;
        }
        return (new LeaseHolder(instance, fields.GetValueOrDefault("host", "?"), boot, pid), DateTimeOffset.FromUnixTimeMilliseconds(renewedMs));
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.LeaseTakenOver, LogLevel.Information, "Taking over the lease on {Address} from a holder that is gone ({Host}, pid {Pid})")]
        public static partial void TakingOver(ILogger logger, string address, string host, int pid);

        [LoggerMessage(EventIds.LeaseWaiting, LogLevel.Warning,
            "The lease on {Address} was renewed {Age:0} s ago by another boot ({Host}): a clone, or this machine before a crash. Waiting up to {Wait:0} s to see whether it is renewed again")]
        public static partial void WaitingForHolder(ILogger logger, string address, string host, double age, double wait);

        [LoggerMessage(EventIds.LeaseConflict, LogLevel.Critical, "Address conflict: {Message}")]
        public static partial void Conflict(ILogger logger, string message);

        [LoggerMessage(EventIds.LeaseRenewFailed, LogLevel.Warning, "Renewing the address lease failed: {Error}; will retry")]
        public static partial void RenewFailed(ILogger logger, string error);
    }
}
