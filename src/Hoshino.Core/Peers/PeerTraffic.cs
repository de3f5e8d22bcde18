using Hoshino.Packets;

namespace Hoshino.Peers;

/// <summary>What this node saw of one peer: packets and bytes each way, when, and how long things took.</summary>
/// <param name="Address">The peer's tunnel address.</param>
/// <param name="PacketsOut">Packets the kernel sent to the peer (into the tunnel).</param>
/// <param name="BytesOut">Their bytes.</param>
/// <param name="PacketsIn">Packets from the peer written to the kernel.</param>
/// <param name="BytesIn">Their bytes.</param>
/// <param name="LastSeen">When the last packet from the peer reached the kernel; null if none did.</param>
/// <param name="LastRoundTrip">The last ICMPv6 echo this node sent to the peer and saw answered: request out to reply in.</param>
/// <param name="LastPut">How long this node's last PUT of an object for the peer took.</param>
/// <param name="LastGet">How long this node's last GET of an object from the peer took.</param>
public sealed record PeerCounters(Address16 Address, long PacketsOut, long BytesOut, long PacketsIn, long BytesIn, DateTimeOffset? LastSeen,
    TimeSpan? LastRoundTrip, TimeSpan? LastPut, TimeSpan? LastGet);

/// <summary>A moment's copy of <see cref="PeerTraffic"/>: the peers it tracks, and everything else summed.</summary>
/// <param name="Peers">The tracked peers, in address order.</param>
/// <param name="Other">Traffic with addresses the table had no room for (or forgot), summed; its address is unused.</param>
public sealed record PeerTrafficSnapshot(IReadOnlyList<PeerCounters> Peers, PeerCounters Other);

/// <summary>
/// Per-peer counters, bounded. Any address in the /64 can appear in a packet (a local program can
/// send to 2^64 of them; anyone with write access to the bucket can claim any source), so the table
/// holds at most <c>capacity</c> peers: a full table first forgets peers idle for
/// <see cref="ForgetAfter"/> (at most once a <see cref="PruneEvery"/>), and what still finds no
/// room is summed in <see cref="PeerTrafficSnapshot.Other"/>. Matches ICMPv6 echo requests going
/// out with the replies coming back, a few outstanding per peer, for the last round trip. Pure: the
/// caller passes the time. Thread-safe (one lock; the work under it is a dictionary lookup).
/// </summary>
public sealed class PeerTraffic
{
    /// <summary>Echo requests remembered per peer while they await a reply (ping -i 0.2 with a 1 s round trip has 5 out).</summary>
    public const int OutstandingEchoes = 16;

    public static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(1);

    private readonly int _capacity;
    private readonly Dictionary<Address16, Entry> _peers = [];
    private readonly Entry _other = new();
    private readonly Lock _lock = new();
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;

    public PeerTraffic(int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>A packet to <paramref name="peer"/> left the kernel for the tunnel.</summary>
    public void Sent(Address16 peer, int bytes, DateTimeOffset now) => Count(peer, bytes, now, incoming: false);

    /// <summary>A packet from <paramref name="peer"/> was written to the kernel.</summary>
    public void Received(Address16 peer, int bytes, DateTimeOffset now) => Count(peer, bytes, now, incoming: true);

    private void Count(Address16 peer, int bytes, DateTimeOffset now, bool incoming)
    {
        lock (_lock)
        {
            Entry entry = EntryFor(peer, now);
            if (incoming)
            {
                entry.PacketsIn++;
                entry.BytesIn += bytes;
                entry.LastSeen = now;
            }
            else
            {
                entry.PacketsOut++;
                entry.BytesOut += bytes;
            }
            entry.LastActive = now;
        }
    }

    /// <summary>An ICMPv6 echo request to <paramref name="peer"/> left the kernel.</summary>
    public void EchoSent(Address16 peer, ushort id, ushort sequence, DateTimeOffset now)
    {
        lock (_lock)
        {
            if (_peers.TryGetValue(peer, out Entry? entry))
            {
                entry.Echoes[entry.NextEcho] = new Echo(id, sequence, now);
                entry.NextEcho = (entry.NextEcho + 1) % OutstandingEchoes;
            }
        }
    }

    /// <summary>An ICMPv6 echo reply from <paramref name="peer"/> reached the kernel; answers a request sent earlier, if it matches one.</summary>
    public void EchoReplied(Address16 peer, ushort id, ushort sequence, DateTimeOffset now)
    {
        lock (_lock)
        {
            if (!_peers.TryGetValue(peer, out Entry? entry))
            {
                return;
            }
            for (int i = 0; i < OutstandingEchoes; i++)
            {
                if (entry.Echoes[i] is { } echo && echo.Id == id && echo.Sequence == sequence)
                {
                    entry.Echoes[i] = null; // a duplicated reply must not count twice
                    if (now >= echo.Sent)
                    {
                        entry.LastRoundTrip = now - echo.Sent;
                    }
                    return;
                }
            }
        }
    }

    /// <summary>A PUT of an object for <paramref name="peer"/> took <paramref name="elapsed"/>.</summary>
    public void Stored(Address16 peer, TimeSpan elapsed)
    {
        lock (_lock)
        {
            if (_peers.TryGetValue(peer, out Entry? entry))
            {
                entry.LastPut = elapsed;
            }
        }
    }

    /// <summary>A GET of an object from <paramref name="peer"/> took <paramref name="elapsed"/>.</summary>
    public void Fetched(Address16 peer, TimeSpan elapsed)
    {
        lock (_lock)
        {
            if (_peers.TryGetValue(peer, out Entry? entry))
            {
                entry.LastGet = elapsed;
            }
        }
    }

    /// <summary>The counters for one peer, or null when the table does not track it.</summary>
    public PeerCounters? Find(Address16 peer)
    {
        lock (_lock)
        {
            return _peers.TryGetValue(peer, out Entry? entry) ? entry.ToCounters(peer) : null;
        }
    }

    public PeerTrafficSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new PeerTrafficSnapshot(
                [.. _peers.OrderBy(p => p.Key.High).ThenBy(p => p.Key.Low).Select(p => p.Value.ToCounters(p.Key))],
                _other.ToCounters(default));
        }
    }

    // Under the lock.
    private Entry EntryFor(Address16 peer, DateTimeOffset now)
    {
        if (_peers.TryGetValue(peer, out Entry? entry))
        {
            return entry;
        }
        if (_peers.Count >= _capacity && now - _lastPrune >= PruneEvery)
        {
            _lastPrune = now;
            foreach ((Address16 address, Entry idle) in _peers.Where(p => now - p.Value.LastActive >= ForgetAfter).ToList())
            {
                _other.Add(idle);
                _peers.Remove(address);
            }
        }
        if (_peers.Count >= _capacity)
        {
            return _other;
        }
        entry = new Entry();
        _peers.Add(peer, entry);
        return entry;
    }

    private readonly record struct Echo(ushort Id, ushort Sequence, DateTimeOffset Sent);

    private sealed class Entry
    {
        public long PacketsOut, BytesOut, PacketsIn, BytesIn;
        public DateTimeOffset LastActive;
        public DateTimeOffset? LastSeen;
        public TimeSpan? LastRoundTrip, LastPut, LastGet;
        public readonly Echo?[] Echoes = new Echo?[OutstandingEchoes];
        public int NextEcho;

        public void Add(Entry forgotten)
        {
            PacketsOut += forgotten.PacketsOut;
            BytesOut += forgotten.BytesOut;
            PacketsIn += forgotten.PacketsIn;
            BytesIn += forgotten.BytesIn;
        }

        public PeerCounters ToCounters(Address16 address) =>
            new(address, PacketsOut, BytesOut, PacketsIn, BytesIn, LastSeen, LastRoundTrip, LastPut, LastGet);
    }
}
