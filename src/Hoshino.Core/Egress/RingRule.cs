using Hoshino.Packets;

namespace Hoshino.Egress;

/// <summary>
/// v1's rule for when a stored bundle rings its destination's doorbell: unless another bundle
/// reached it less than <c>ringAfter</c> before. A v1 receiver keeps listing for its linger (2 s)
/// after it finds work, so a bundle that follows another within <c>ringAfter</c> (1 s) is found
/// without a ring; one after a quiet spell may meet a receiver that only HEADs its doorbell.
/// Deciding after the PUT, not before it, keeps a slow PUT from slipping past the linger unrung.
/// (v2 streams decide in their <see cref="Transport.SendWindow"/>, which also rings after a hole.)
/// Pure; bounded; not thread-safe: the pump's lock guards it.
/// </summary>
internal sealed class RingRule(TimeSpan ringAfter, int capacity = 1024)
{
    /// <summary>When the last bundle to each destination was stored; entries older than ringAfter mean nothing.</summary>
    private readonly Dictionary<Address16, DateTimeOffset> _lastStored = [];

    public int Count => _lastStored.Count;

    /// <summary>A bundle to <paramref name="destination"/> was stored at <paramref name="now"/>: true when it should ring.</summary>
    public bool Stored(Address16 destination, DateTimeOffset now)
    {
        bool quiet = !_lastStored.TryGetValue(destination, out DateTimeOffset last) || now - last > ringAfter;
        _lastStored[destination] = now;
        if (_lastStored.Count > capacity)
        {
            // Forgetting an entry older than ringAfter changes no decision.
            foreach ((Address16 address, DateTimeOffset stored) in _lastStored)
            {
                if (now - stored > ringAfter)
                {
                    _lastStored.Remove(address);
                }
            }
        }
        return quiet;
    }

    /// <summary>The ring failed: the next bundle to <paramref name="destination"/> rings again.</summary>
    public void RingFailed(Address16 destination) => _lastStored.Remove(destination);
}
