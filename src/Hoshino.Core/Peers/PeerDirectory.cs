using System.Net;
using Hoshino.Diagnostics;
using Hoshino.Store;
using Microsoft.Extensions.Logging;

namespace Hoshino.Peers;

/// <summary>
/// The peer directory in the bucket (docs/wire-format.md, "Directory records"): publishes this
/// node's record under <c>directory/{address}</c> (a key IAM lets only this node write), renews it
/// every <see cref="RenewInterval"/> by writing the same bytes again, deletes it on a clean stop,
/// and reads everyone's records at a pace that costs at most one LIST per read interval on
/// average (<see cref="ReadPacer"/>), fetching only records whose tag changed (<see cref="DirectoryView"/>). Answers <see cref="IPeerNames"/> from the last read, without
/// blocking; thread-safe. A store that fails, or hostile records, never stop it: failures are
/// logged (rate-limited), refused records counted by reason.
/// </summary>
public sealed partial class PeerDirectory : IPeerNames
{
    /// <summary>How often the node writes its record again (a PUT of the same bytes: $0.0014 a day).</summary>
    public static readonly TimeSpan RenewInterval = TimeSpan.FromMinutes(5);

    /// <summary>A record not renewed for this long is stale: three renewals missed. Readers add their own read interval.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    /// <summary>How far ahead of this node's clock (or the store's Last-Modified) a start time may be.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    /// <summary>Records fetched at once.</summary>
    private const int FetchConcurrency = 4;

    /// <summary>Joins, departures and conflicts logged per read; a directory of thousands must not flood the journal at start.</summary>
    private const int MaxChangesLogged = 16;

    private readonly IPacketStore _store;
    private readonly DirectoryOptions _options;
    private readonly IPNetwork _network;
    private readonly HoshinoMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DirectoryView _view;
    private readonly ReadPacer _pacer;
    private readonly PeerStatement _self;
    // Sealed once: a renewal writes these very bytes, so the ETag stays and readers do not fetch it again.
    private readonly byte[] _record;
    private readonly LogLimiter _readLog, _publishLog, _rejectLog;
    private volatile PeerSet _current;
    private long _readIntervalTicks;
    private long _renewedMs; // Unix ms: written by the publish loop, read by any thread

    public PeerDirectory(IPacketStore store, DirectoryOptions options, IPAddress self, IPNetwork network, HoshinoMetrics metrics, TimeProvider time,
        ILogger<PeerDirectory> logger)
    {
        if (PeerName.ProblemWith(options.Name) is { } problem)
        {
            throw new ArgumentException($"bad name '{options.Name}': {problem}", nameof(options));
        }
        _store = store;
        _options = options;
        _network = network;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _view = new DirectoryView(network);
        _pacer = new ReadPacer(options.ReadInterval);
        _readIntervalTicks = options.ReadInterval.Ticks;
        DateTimeOffset started = time.GetUtcNow();
        _renewedMs = started.ToUnixTimeMilliseconds();
        _self = new PeerStatement(options.Name, self, VersionFit(options.Version), started, options.Key is not null);
        _record = PeerRecordFormat.Encode(_self, options.Key);
        _readLog = new LogLimiter(time, TimeSpan.FromMinutes(10));
        _publishLog = new LogLimiter(time, TimeSpan.FromMinutes(10));
        _rejectLog = new LogLimiter(time, TimeSpan.FromMinutes(1));
        _current = PeerSet.Of([SelfRecord]);
        metrics.ObserveDirectory(() => Current.Peers.Count, () => _current.Conflicts.Count);
    }

    /// <summary>This node's record key.</summary>
    public string Key => PeerRecordFormat.KeyOf(_self.Address);

    /// <summary>The last read, resolved, with records that went stale since left out.</summary>
    public PeerSet Current
    {
        get
        {
            PeerSet current = _current;
            DateTimeOffset now = _time.GetUtcNow();
            // The read pace stretches with the directory: a record fresh at the last read stays so until the next is due.
            TimeSpan freshFor = Lifetime + TimeSpan.FromTicks(Interlocked.Read(ref _readIntervalTicks));
            return current.Peers.All(p => IsFresh(p, now, freshFor)) ? current : PeerSet.Of(current.Peers.Where(p => IsFresh(p, now, freshFor)));
        }
    }

    public IReadOnlyList<PeerRecord> Peers => Current.Peers;

    public PeerRecord? Find(string name) => Current.Find(name);

    public PeerRecord? Find(IPAddress address) => Current.Find(address);

    private PeerRecord SelfRecord =>
        new(_self.Name, _self.Address, _self.Version, _self.Started, _self.Sealed, DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _renewedMs)));

    /// <summary>The version as a record may state it: printable ASCII, at most <see cref="PeerRecordFormat.MaxVersionLength"/> characters.</summary>
    private static string VersionFit(string version)
    {
        string fit = new([.. version.Where(c => c is >= '!' and <= '~').Take(PeerRecordFormat.MaxVersionLength)]);
        return fit.Length > 0 ? fit : "unknown";
    }

    private bool IsFresh(PeerRecord record, DateTimeOffset now, TimeSpan freshFor) =>
        record.Address.Equals(_self.Address) || now - record.Renewed < freshFor;

    /// <summary>Publishes and renews this node's record and reads the directory until <paramref name="stoppingToken"/> fires; then deletes the record.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        Log.Started(_logger, _self.Name, Key, _options.ReadInterval.TotalSeconds);
        await Task.WhenAll(PublishLoopAsync(stoppingToken), ReadLoopAsync(stoppingToken));
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _store.DeleteAsync([Key], timeout.Token);
        }
        catch (Exception ex) when (ex is PacketStoreException or OperationCanceledException)
        {
            // It goes stale by itself.
        }
        Log.Stopped(_logger, _self.Name);
    }

    private async Task PublishLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await PublishAsync(stoppingToken);
                await Task.Delay(RenewInterval, _time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Writes (or renews) this node's record; a failure is logged and retried at the next renewal.</summary>
    internal async Task PublishAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _store.PutAsync(Key, _record, cancellationToken);
            Interlocked.Exchange(ref _renewedMs, _time.GetUtcNow().ToUnixTimeMilliseconds());
        }
        catch (PacketStoreException ex)
        {
            if (_publishLog.TryEnter(out long suppressed))
            {
                Log.PublishFailed(_logger, Key, ex.Message, suppressed);
            }
        }
    }

    private async Task ReadLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(await ReadAsync(stoppingToken), _time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One read: a LIST of the directory, a GET of each record whose tag changed. Returns how long to wait before the next.</summary>
    internal async Task<TimeSpan> ReadAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<StoredObject> listing;
        try
        {
            listing = await _store.ListAsync(PeerRecordFormat.Prefix, DirectoryView.MaxEntries + 1, cancellationToken);
        }
        catch (PacketStoreException ex)
        {
            if (_readLog.TryEnter(out long suppressed))
            {
                Log.ReadFailed(_logger, ex.Message, suppressed);
            }
            return _options.ReadInterval;
        }
        // This node's own record is its own business: never fetched, never taken from the bucket.
        IReadOnlyList<StoredObject> fetch = _view.Plan([.. listing.Where(o => o.Key != Key)], out List<DirectoryRejectReason> refused, out bool overCap);
        if (overCap)
        {
            refused.Add(DirectoryRejectReason.OverCap);
        }
        var fetched = new List<(StoredObject Listed, PeerStatement? Statement, DirectoryRejectReason Reason)>();
        await Parallel.ForEachAsync(fetch, new ParallelOptions { MaxDegreeOfParallelism = FetchConcurrency, CancellationToken = cancellationToken },
            async (listed, ct) =>
            {
                (PeerStatement?, DirectoryRejectReason)? result = await FetchAsync(listed, ct);
                if (result is { } r)
                {
                    lock (fetched)
                    {
                        fetched.Add((listed, r.Item1, r.Item2));
                    }
                }
            });
        foreach ((StoredObject listed, PeerStatement? statement, DirectoryRejectReason reason) in fetched)
        {
            if (_view.Fetched(listed, statement, reason, MaxSkew) is not DirectoryRejectReason.None and var rejected)
            {
                refused.Add(rejected);
                if (_rejectLog.TryEnter(out long suppressed))
                {
                    Log.RecordRejected(_logger, LogText.Escape(listed.Key), MetricLabels.Of(rejected), suppressed);
                }
            }
        }
        foreach (DirectoryRejectReason reason in refused)
        {
            _metrics.DirectoryRejected(reason);
        }
        PeerSet previous = _current;
        _current = _view.Snapshot(_time.GetUtcNow(), Lifetime, SelfRecord);
        LogChanges(previous, _current);
        TimeSpan next = _pacer.NextReadAfter(listing.Count, fetch.Count);
        Interlocked.Exchange(ref _readIntervalTicks, next.Ticks);
        return next;
    }

    /// <summary>The record's statement or why it was refused; null when it vanished or the store failed transiently (fetched again next read).</summary>
    private async Task<(PeerStatement?, DirectoryRejectReason)?> FetchAsync(StoredObject listed, CancellationToken cancellationToken)
    {
        byte[]? body;
        try
        {
            body = await _store.GetAsync(listed.Key, PeerRecordFormat.MaxBytes, cancellationToken);
        }
        catch (PacketStoreException ex) when (ex.Kind == StoreErrorKind.TooLarge)
        {
            return (null, DirectoryRejectReason.TooLarge);
        }
        catch (PacketStoreException ex) when (!ex.IsTransient)
        {
            // Access denied (also what S3 answers for a key deleted since the LIST, without ListBucket on it), or unreadable.
            return (null, DirectoryRejectReason.Unreadable);
        }
        catch (PacketStoreException)
        {
            return null;
        }
        return body is null ? null : PeerRecordFormat.Decode(listed.Key, body, _network, _options.Key, _time.GetUtcNow(), MaxSkew);
    }

    private void LogChanges(PeerSet previous, PeerSet current)
    {
        int logged = 0, more = 0;
        void Note(Action log)
        {
            if (logged++ < MaxChangesLogged)
            {
                log();
            }
            else
            {
                more++;
            }
        }
        foreach (PeerRecord peer in current.Peers)
        {
            if (previous.Find(peer.Address) is not { } was || was.Name != peer.Name || was.Started != peer.Started)
            {
                Note(() => Log.PeerSeen(_logger, peer.Name, peer.Address.ToString(), peer.Version, peer.Sealed ? "sealed" : "not sealed"));
            }
        }
        foreach (PeerRecord peer in previous.Peers)
        {
            if (current.Find(peer.Address) is null)
            {
                Note(() => Log.PeerGone(_logger, peer.Name, peer.Address.ToString()));
            }
        }
        foreach (NameConflict conflict in current.Conflicts)
        {
            if (!previous.Conflicts.Any(c => c.Name == conflict.Name && c.Loser.Address.Equals(conflict.Loser.Address)))
            {
                Note(() => Log.NameConflict(_logger, conflict.Name, conflict.Winner.Address.ToString(), conflict.Loser.Address.ToString()));
            }
        }
        if (more > 0)
        {
            Log.MoreChanges(_logger, more);
        }
    }
}
