using Hoshino.Packets;

namespace Hoshino.Ingress;

/// <summary>
/// Limits what a sender can make this node spend on objects that turn out to be junk. Each sender
/// (the key's <c>src</c>) has a bucket of <c>burst</c> tokens that refills by one every
/// <c>refill</c>. Every GET of one of its objects takes a token and gets it back unless the object
/// proves junk (refused, or one the store will never return), so an outage of the store costs an
/// honest sender nothing; while the bucket is empty the
/// sender's objects are deleted unread. <c>burst</c> must exceed the GETs a node has in flight, so
/// that a sender whose objects deliver never notices. At most <c>maxSenders</c> buckets are kept
/// (a network without IAM lets a writer claim any of 2^64 names); senders beyond that share one.
/// One budget per sender for both transports: the v1 loop charges its GETs, the v2 receiver the
/// GETs of listed names (its probes are its own guesses, not a sender's claims), so junk written
/// both ways drains one bucket. Clock-free: times come in as arguments. Thread-safe (one lock,
/// held for a dictionary lookup): the two loops share it.
/// </summary>
internal sealed class RejectLimiter
{
    private readonly int _burst;
    private readonly TimeSpan _refill;
    private readonly int _maxSenders;
    private readonly Dictionary<Address16, Bucket> _buckets = [];
    /// <summary>Shared by senders that arrive while <see cref="_buckets"/> is full.</summary>
    private Bucket _overflow;
    private readonly Lock _lock = new();

    private readonly record struct Bucket(double Tokens, DateTimeOffset At);

    public RejectLimiter(int burst = 64, TimeSpan? refill = null, int maxSenders = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        _burst = burst;
        _refill = refill ?? TimeSpan.FromSeconds(1);
        _maxSenders = maxSenders;
        _overflow = new Bucket(burst, DateTimeOffset.MinValue);
    }

    public int TrackedSenders
    {
        get
        {
            lock (_lock)
            {
                return _buckets.Count;
            }
        }
    }

    /// <summary>Takes a token for one GET of an object of <paramref name="sender"/>; false (nothing taken) when its bucket is empty.</summary>
    public bool TryFetch(Address16 sender, DateTimeOffset now)
    {
        lock (_lock)
        {
            return TryTake(sender, now);
        }
    }

    /// <summary>
    /// The object fetched under <see cref="TryFetch"/> did not prove junk: delivered, gone since the
    /// listing, or not fetched because the store failed. Its token comes back.
    /// </summary>
    public void GiveBack(Address16 sender)
    {
        lock (_lock)
        {
            Refund(sender);
        }
    }

    private bool TryTake(Address16 sender, DateTimeOffset now)
    {
        bool tracked = _buckets.TryGetValue(sender, out Bucket bucket);
        if (!tracked && _buckets.Count >= _maxSenders)
        {
            Prune(now);
        }
        if (!tracked && _buckets.Count >= _maxSenders)
        {
            Bucket shared = Refilled(_overflow, now);
            _overflow = shared.Tokens >= 1 ? shared with { Tokens = shared.Tokens - 1 } : shared;
            return shared.Tokens >= 1;
        }
        bucket = tracked ? Refilled(bucket, now) : new Bucket(_burst, now);
        if (bucket.Tokens < 1)
        {
            _buckets[sender] = bucket;
            return false;
        }
        _buckets[sender] = bucket with { Tokens = bucket.Tokens - 1 };
        return true;
    }

    private void Refund(Address16 sender)
    {
        if (_buckets.TryGetValue(sender, out Bucket bucket))
        {
            _buckets[sender] = bucket with { Tokens = Math.Min(_burst, bucket.Tokens + 1) };
        }
        else
        {
            _overflow = _overflow with { Tokens = Math.Min(_burst, _overflow.Tokens + 1) };
        }
    }

    private Bucket Refilled(Bucket bucket, DateTimeOffset now) =>
        now <= bucket.At ? bucket : new Bucket(Math.Min(_burst, bucket.Tokens + ((now - bucket.At) / _refill)), now);

    /// <summary>Forgets senders whose bucket has refilled: they are as if never seen.</summary>
    private void Prune(DateTimeOffset now)
    {
        foreach ((Address16 sender, Bucket bucket) in _buckets)
        {
            if (Refilled(bucket, now).Tokens >= _burst)
            {
                _buckets.Remove(sender);
            }
        }
    }
}
