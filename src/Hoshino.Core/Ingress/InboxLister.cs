using Hoshino.Store;

namespace Hoshino.Ingress;

/// <summary>A listing, with when it was asked for (it shows the inbox as of about then) and its place in the order of LIST starts and delete confirmations.</summary>
internal readonly record struct Listing(IReadOnlyList<StoredObject> Objects, long Started, long Order);

/// <summary>
/// LISTs the node's inbox, one listing at a time, and may start the next while the last one's GETs
/// run: under load the loop then takes max(LIST, GET + write) per cycle instead of their sum. Keeps
/// the order in which LIST starts and delete confirmations happen (on different tasks), so that a
/// listing can tell a key deleted after it began from a new object. Loop thread only, except
/// <see cref="NextOrder"/>, which any thread may call.
/// </summary>
/// <param name="store">Where the inbox is.</param>
/// <param name="inbox">The inbox prefix, <c>{self}/</c>.</param>
/// <param name="listLimit">Keys per LIST.</param>
/// <param name="time">The clock a LIST is timed by.</param>
internal sealed class InboxLister(IPacketStore store, string inbox, int listLimit, TimeProvider time)
{
    /// <summary>The next LIST, started ahead of the poll that will read it.</summary>
    private Task<Listing>? _next;
    /// <summary>Orders LIST starts and delete confirmations, which happen on different tasks.</summary>
    private long _order;

    /// <summary>How long the last LIST took; paces empty polls (<see cref="IngressPump.Pace"/>).</summary>
    public TimeSpan LastDuration { get; private set; }

    /// <summary>Stamps an event (a delete's confirmation) in the order of LIST starts. Any thread.</summary>
    public long NextOrder() => Interlocked.Increment(ref _order);

    /// <summary>The listing started ahead, if any, else a new one.</summary>
    public Task<Listing> ListAsync(CancellationToken cancellationToken)
    {
        Task<Listing> pending = _next ?? StartAsync(cancellationToken);
        _next = null;
        return pending;
    }

    /// <summary>Starts the next LIST now, for the next poll to read.</summary>
    public void StartAhead(CancellationToken cancellationToken) => _next = StartAsync(cancellationToken);

    /// <summary>Drops the listing started ahead (it would be stale by the next LIST), observing its failure.</summary>
    public void DiscardAhead()
    {
        if (_next is { } listing)
        {
            _next = null;
            _ = listing.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>At shutdown: waits for a listing started ahead, whatever its outcome.</summary>
    public async Task DrainAsync()
    {
        if (_next is { } listing)
        {
            await ((Task)listing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<Listing> StartAsync(CancellationToken cancellationToken)
    {
        long started = time.GetTimestamp();
        long order = NextOrder();
        IReadOnlyList<StoredObject> objects = await store.ListAsync(inbox, listLimit, cancellationToken);
        LastDuration = time.GetElapsedTime(started);
        return new Listing(objects, started, order);
    }
}
