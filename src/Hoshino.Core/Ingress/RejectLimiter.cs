using Hoshino.Packets;

namespace Hoshino.Ingress;

/// <summary>
/// Limits what a sender can make this node spend on objects that turn out to be junk. Each sender
/// (the key's <c>src</c>) has a bucket of <c>burst</c> tokens that refills by one every
/// <c>refill</c>; every object of it that the node fetched and then rejected (or could not fetch)
/// takes a token, and while the bucket is empty the sender's objects are deleted unread. A sender
/// whose objects deliver never notices. At most <c>maxSenders</c> buckets are kept (a network
/// without IAM lets a writer claim any of 2^64 names); senders beyond that share one. Pure and
/// clock-free: times come in as arguments. Not thread-safe: the polling loop owns it.
/// </summary>
internal sealed class RejectLimiter
{
    private readonly int _burst;
    private readonly TimeSpan _refill;
    private readonly int _maxSenders;
    private readonly Dictionary<Address16, Bucket> _buckets = [];
    /// <summary>Shared by senders that arrive while <see cref="_buckets"/> is full.</summary>
    private Bucket _overflow;

    private struct Bucket
    {
        public double Tokens;
        public DateTimeOffset At;
    }

    public RejectLimiter(int burst = 16, TimeSpan? refill = null, int maxSenders = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        _burst = burst;
        _refill = refill ?? TimeSpan.FromSeconds(1);
        _maxSenders = maxSenders;
        _overflow = new Bucket { Tokens = burst };
    }

    public int TrackedSenders => _buckets.Count;

    /// <summary>True while <paramref name="sender"/> may still cost the node a GET.</summary>
    public bool Allows(Address16 sender, DateTimeOffset now)
    {
        if (_buckets.TryGetValue(sender, out Bucket bucket))
        {
            return Refilled(bucket, now).Tokens >= 1;
        }
        return _buckets.Count < _maxSenders || Refilled(_overflow, now).Tokens >= 1;
    }

    /// <summary>An object of <paramref name="sender"/> was fetched and rejected: one token gone.</summary>
    public void Rejected(Address16 sender, DateTimeOffset now)
    {
        if (!_buckets.TryGetValue(sender, out Bucket bucket))
        {
            if (_buckets.Count >= _maxSenders)
            {
                Prune(now);
            }
            if (_buckets.Count >= _maxSenders)
            {
                _overflow = Spend(Refilled(_overflow, now));
                return;
            }
            bucket = new Bucket { Tokens = _burst, At = now };
        }
        _buckets[sender] = Spend(Refilled(bucket, now));
    }

    private static Bucket Spend(Bucket bucket) => bucket with { Tokens = Math.Max(0, bucket.Tokens - 1) };

    private Bucket Refilled(Bucket bucket, DateTimeOffset now)
    {
        if (now <= bucket.At)
        {
            return bucket;
        }
        double tokens = Math.Min(_burst, bucket.Tokens + (now - bucket.At) / _refill);
        return new Bucket { Tokens = tokens, At = now };
    }

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
