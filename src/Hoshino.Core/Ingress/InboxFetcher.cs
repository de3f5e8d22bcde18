using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Tunnel;
using Microsoft.Extensions.Logging;

namespace Hoshino.Ingress;

/// <summary>What one poll's fetching and writing came to.</summary>
internal readonly record struct Delivery(int Packets, int Fetched, int StoreFailures, bool TunRefused);

/// <summary>
/// The v1 path's GETs: fetches the objects a listing offered in a window ahead of the writer (at
/// most <see cref="IngressOptions.MaxConcurrentGets"/> GETs and <see cref="IngressOptions.MaxBytesInFlight"/>
/// listed bytes), validates each whole, writes its packets in listing order and lets go of its body
/// before the next: memory stays bounded however long the inbox. A sender whose objects keep being
/// refused is limited (<see cref="RejectLimiter"/>). Loop thread only.
/// </summary>
internal sealed partial class InboxFetcher
{
    private readonly ITunDevice _tun;
    private readonly IPacketStore _store;
    private readonly Address16 _self;
    private readonly HoshinoMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IngressOptions _options;
    private readonly InboxLedger _ledger;
    private readonly IngressReports _reports;
    private readonly Action<Address16> _deliveredV1;
    /// <summary>What each sender may make this node spend on junk (shared with the v2 receiver).</summary>
    private readonly RejectLimiter _limiter;

    /// <param name="tun">Where packets go.</param>
    /// <param name="store">Where the inbox is.</param>
    /// <param name="self">This node.</param>
    /// <param name="metrics">Counts packets written.</param>
    /// <param name="logger">The pump's logger.</param>
    /// <param name="options">Bounds (window, object size, sealing).</param>
    /// <param name="ledger">Remembers what was delivered.</param>
    /// <param name="reports">Counts and logs refusals and store failures.</param>
    /// <param name="deliveredV1">A sender's v1 object was delivered (it writes v1 now).</param>
    /// <param name="limiter">Each sender's budget for junk, shared with the v2 receiver.</param>
    public InboxFetcher(ITunDevice tun, IPacketStore store, Address16 self, HoshinoMetrics metrics, ILogger logger, IngressOptions options,
        InboxLedger ledger, IngressReports reports, Action<Address16> deliveredV1, RejectLimiter limiter)
    {
        _tun = tun;
        _store = store;
        _self = self;
        _metrics = metrics;
        _logger = logger;
        _options = options;
        _ledger = ledger;
        _reports = reports;
        _deliveredV1 = deliveredV1;
        _limiter = limiter;
    }

    /// <summary>
    /// Fetches and delivers <paramref name="wanted"/>. Adds every handled key to
    /// <paramref name="toDelete"/>; an object whose GET failed transiently stays for the next poll.
    /// </summary>
    public async Task<Delivery> DeliverAsync(List<Wanted> wanted, List<string> toDelete, DateTimeOffset now, CancellationToken cancellationToken)
    {
        int packets = 0, fetched = 0, failures = 0;
        bool tunRefused = false;
        var window = new Queue<(Wanted Object, Task<byte[]?> Body)>();
        long windowBytes = 0;
        int next = 0;
        var frames = new List<Range>();
        try
        {
            while (next < wanted.Count || window.Count > 0)
            {
                while (next < wanted.Count && window.Count < _options.MaxConcurrentGets
                    && (window.Count == 0 || windowBytes + wanted[next].Size <= _options.MaxBytesInFlight))
                {
                    Wanted start = wanted[next++];
                    if (!_limiter.TryFetch(start.Key.Source, now))
                    {
                        _reports.Reject(start.Name, RejectReason.RateLimited); // its sender's objects keep failing: not worth a GET now
                        toDelete.Add(start.Name);
                        continue;
                    }
                    window.Enqueue((start, _store.GetAsync(start.Name, _options.MaxObjectBytes, cancellationToken)));
                    windowBytes += start.Size;
                }
                if (window.Count == 0)
                {
                    continue;
                }
                (Wanted item, Task<byte[]?> fetch) = window.Dequeue();
                windowBytes -= item.Size;
                byte[]? body;
                try
                {
                    body = await fetch;
                }
                catch (PacketStoreException ex) when (ex.Kind is StoreErrorKind.TooLarge or StoreErrorKind.Unreadable)
                {
                    // Too large, archived, or encrypted with a key we lack: retrying will not
                    // change it, and leaving it would have every later poll stumble over it again.
                    _reports.Reject(item.Name, ex.Kind == StoreErrorKind.TooLarge ? RejectReason.TooLarge : RejectReason.Unfetchable);
                    toDelete.Add(item.Name);
                    continue;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // Left in place; the next poll tries again until it is too old (MaxPacketAge) and deleted unread.
                    // The store failed, not the object: its token comes back, or a long outage would
                    // spend an honest sender's budget and have its objects deleted as rate_limited.
                    _limiter.GiveBack(item.Key.Source);
                    _reports.StoreFailed("fetching " + LogText.Escape(item.Name), ex);
                    failures++;
                    continue;
                }
                fetched++;
                if (body is null)
                {
                    _limiter.GiveBack(item.Key.Source); // gone since the listing: nothing to judge
                    continue;
                }
                // With a network key, a sealed body is decrypted in place: the frames then point at plaintext in body.
                RejectReason reason = TunDelivery.Open(body, item.Name, item.Key.Source, _self, _options, frames);
                if (reason != RejectReason.None)
                {
                    _reports.Reject(item.Name, reason); // its GET's token is not given back (RejectLimiter)
                    toDelete.Add(item.Name);
                    continue;
                }
                (int written, bool refused) = TunDelivery.Write(_tun, _metrics, body, frames);
                tunRefused |= refused;
                packets += written;
                _limiter.GiveBack(item.Key.Source);
                _deliveredV1(item.Key.Source); // a v1 writer: its replies are found by LIST, so a send to it lingers
                _ledger.Delivered(item.Name, item.Key.Id.Time);
                toDelete.Add(item.Name);
                Log.BundleWritten(_logger, item.Name, written);
            }
        }
        finally
        {
            // Cancelled mid-window: observe the GETs still running so none faults unobserved.
            while (window.TryDequeue(out (Wanted Object, Task<byte[]?> Body) rest))
            {
                await ((Task)rest.Body).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        return new Delivery(packets, fetched, failures, tunRefused);
    }
}
