using Hoshino.Packets;

namespace Hoshino.Transport;

/// <summary>Gains and bounds of a <see cref="ReplyExpectation"/>; the cost of each is in docs/adr/0010-transport-v2.md.</summary>
internal sealed class ReplyExpectationOptions
{
    /// <summary>A peer's round trip before anything was measured: about 2.5 floor round trips on RGW here, a seventh of one on S3.</summary>
    public TimeSpan InitialRtt { get; init; } = TimeSpan.FromMilliseconds(20);

    public TimeSpan RttFloor { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// The store's own round trip, 2 × (PUT + GET) p50 as the node measures them (the physical
    /// floor F; zero until measured). Windows are placed at no less than this round trip: only a
    /// reply inside its window is a sample, so an estimate far below the truth (the 20 ms before any
    /// sample, with the store 15 ms away and replies at 120 ms) would put every window before its
    /// reply and never learn.
    /// </summary>
    public TimeSpan StoreRoundTrip { get; set; }

    public TimeSpan RttCap { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A reply cannot come sooner than about half a round trip after the send: probing starts there.</summary>
    public double StartFactor { get; init; } = 0.5;

    /// <summary>Probing for a reply ends this many round trips after the send.</summary>
    public double LingerFactor { get; init; } = 1.5;

    /// <summary>
    /// In a cold reply window (the first send to a peer after a silence both ways longer than
    /// <see cref="Hold"/>: the peer may be polling only its doorbell, every <c>--poll-max</c>, and
    /// once woken it HEADs and LISTs before it reads, so the reply can take that much and about one
    /// more round trip longer; the window is <see cref="HoldMaxInterval"/> (and the doorbell
    /// poll's 10 % jitter) + RTT longer), a
    /// probe every this fraction of the time since the send: a cold reply waits a sixteenth of its
    /// own delay on average, for about 35 GETs per quiet spell (at a quarter, about 20, far cold
    /// replies were found 8–153 ms after they were stored: bench/RESULTS.md, the note at a3cd152).
    /// </summary>
    public double ColdBackoff { get; init; } = 0.125;

    /// <summary>
    /// Time between two probes of one peer while a reply or a forecast arrival is due: one GET
    /// latency (the node sets it from measured GET p50), so one probe is in flight at a time and a
    /// packet waits half of it on average.
    /// </summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// After an object from a peer, keep probing its stream this long, backing off: the sender does
    /// not ring within <see cref="SendWindowOptions.RingAfter"/> of its last object (this must be at least that).
    /// </summary>
    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// During the hold, a probe every this fraction of the silence so far: a packet waits about a
    /// quarter of the silence before it. Divided by the peer's hold yield (below), so a hold that
    /// rarely catches anything costs few probes.
    /// </summary>
    public double HoldBackoff { get; init; } = 0.5;

    /// <summary>
    /// The floor of a peer's hold yield (EWMA, gain <see cref="HoldYieldGain"/>, of whether its next
    /// object came within the hold), by which the hold's backoff is divided: a peer whose objects
    /// come seconds apart (one of 50 peers sending at random) makes about 5 probes per hold
    /// instead of 15, and a packet that does come within its hold waits up to 2½ times the silence
    /// before it, not ¼ (ADR 0010: what the hold's GETs buy).
    /// </summary>
    public double MinHoldYield { get; init; } = 0.1;

    /// <summary>How fast a peer's hold yield follows what its holds caught: after 8 empty holds in a row it is at its floor.</summary>
    public double HoldYieldGain { get; init; } = 0.25;

    /// <summary>Slowest probe during the hold (the idle doorbell's interval, <c>--poll-max</c>).</summary>
    public TimeSpan HoldMaxInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Arrivals further apart than this are not forecast (the hold and the doorbell cover them).</summary>
    public TimeSpan CadenceCap { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Half-width of a forecast window at least (store jitter); otherwise two mean deviations of the gap.</summary>
    public TimeSpan CadenceMarginFloor { get; init; } = TimeSpan.FromMilliseconds(4);

    /// <summary>
    /// Below this share of sends answered within their window, a send opens no reply window (an
    /// echo reply, a one-way stream): only every <see cref="ExploreEvery"/>th does, to notice when
    /// replies come back. What a reply window costs must buy replies (issue 13: price and yield).
    /// </summary>
    public double MinReplyYield { get; init; } = 0.1;

    /// <summary>While replies do not come, one send in this many still opens a window.</summary>
    public int ExploreEvery { get; init; } = 8;

    /// <summary>Peers remembered; the one seen longest ago goes first.</summary>
    public int MaxPeers { get; init; } = 1024;
}

/// <summary>Peers to probe now (GET the next name of their stream), and when to ask again at the latest.</summary>
internal readonly record struct ProbePlan(IReadOnlyList<Address16> Probes, DateTimeOffset? WakeAt);

/// <summary>
/// When a node should look for a peer's next object, and so when polling may stop: a node that
/// sent to a peer expects a reply about one measured round trip later and probes that peer's
/// stream from ½ to 1½ RTT after the send (RTT: EWMA, gain 1/8, of send-to-reply times, with a
/// floor and a cap); a peer whose objects come at a regular pace (gap EWMA and mean deviation, as
/// TCP's RTO) is probed around the next one's expected time; and after every object from a peer its
/// stream is probed for <see cref="ReplyExpectationOptions.Hold"/>, at intervals growing with the
/// silence (and faster still for a peer whose holds seldom catch anything), which is what lets a
/// sender skip the doorbell. Outside those windows nothing is
/// probed: the idle doorbell takes over. Pure: no store, no clock. Not thread-safe.
/// </summary>
internal sealed class ReplyExpectation
{
    private readonly ReplyExpectationOptions _options;
    private readonly Dictionary<Address16, Peer> _peers = [];

    public ReplyExpectation(ReplyExpectationOptions? options = null)
    {
        _options = options ?? new ReplyExpectationOptions();
        Rtt = _options.InitialRtt;
    }

    private sealed class Peer(TimeSpan rtt, double replyYield, double holdYield, DateTimeOffset now)
    {
        public TimeSpan Rtt = rtt;
        /// <summary>The first send not answered yet: the base of the next RTT sample.</summary>
        public DateTimeOffset? AwaitingSince;
        /// <summary>The awaited reply's window is cold (see <see cref="ReplyExpectationOptions.ColdBackoff"/>): its reply is no RTT sample.</summary>
        public bool AwaitingCold;
        /// <summary>The latest send to or object from the peer: a send after more than a hold without either is cold.</summary>
        public DateTimeOffset? LastContact;
        public DateTimeOffset? LastArrival;
        public TimeSpan? Gap;
        public TimeSpan GapDeviation;
        public DateTimeOffset LastProbe = DateTimeOffset.MinValue;
        public DateTimeOffset LastSeen = now;
        /// <summary>EWMA (gain 1/8) of whether a reply window was answered; a new peer starts from all peers'.</summary>
        public double ReplyYield = replyYield;
        public int QuietSends;
        /// <summary>EWMA of whether the next object came within the hold after the last one; a new peer starts from all peers'.</summary>
        public double HoldYield = holdYield;
        /// <summary>The hold after <see cref="LastArrival"/> is not judged yet.</summary>
        public bool HoldOpen;
    }

    public ReplyExpectationOptions Options => _options;

    /// <summary>Round trip over all peers (EWMA of every sample): what a new peer starts with.</summary>
    public TimeSpan Rtt { get; private set; }

    /// <summary>
    /// Reply yield over all peers (EWMA of every window's outcome): what a new peer starts with, so
    /// a node that sends one-way to many peers (none of which replies) stops opening a reply window
    /// for each new one, as it has for the ones it knows.
    /// </summary>
    public double ReplyYield { get; private set; } = 1;

    /// <summary>Hold yield over all peers (EWMA of every hold's outcome): what a new peer starts with.</summary>
    public double HoldYield { get; private set; } = 1;

    public int PeerCount => _peers.Count;

    public TimeSpan RttOf(Address16 peer) => _peers.TryGetValue(peer, out Peer? p) ? p.Rtt : Rtt;

    /// <summary>The share of recent holds after <paramref name="peer"/>'s objects in which its next object came (1 for a peer not seen).</summary>
    public double HoldYieldOf(Address16 peer) => _peers.TryGetValue(peer, out Peer? p) ? p.HoldYield : HoldYield;

    /// <summary>The share of recent reply windows to <paramref name="peer"/> that a reply answered (1 for a peer not seen).</summary>
    public double ReplyYieldOf(Address16 peer) => _peers.TryGetValue(peer, out Peer? p) ? p.ReplyYield : ReplyYield;

    /// <summary>This node sent to <paramref name="peer"/> (queued a packet for it): a reply may follow.</summary>
    public void Sent(Address16 peer, DateTimeOffset now)
    {
        Peer p = Touch(peer, now);
        if (p.AwaitingSince is { } since && now > since + ReplyEnd(p))
        {
            Expired(p);
        }
        // Cold: nothing either way for longer than a hold. The peer's holds and reply windows for
        // this node have ended, so it may hear this send only at its next doorbell poll.
        bool cold = p.LastContact is not { } contact || now - contact > _options.Hold;
        p.LastContact = now;
        if (p.AwaitingSince is null
            && (p.ReplyYield >= _options.MinReplyYield || ++p.QuietSends % _options.ExploreEvery == 0))
        {
            p.AwaitingSince = now;
            p.AwaitingCold = cold;
        }
    }

    /// <summary>An object from <paramref name="peer"/> was delivered: a sample of the round trip (if one was awaited) and of its pace.</summary>
    public void Arrived(Address16 peer, DateTimeOffset now)
    {
        Peer p = Touch(peer, now);
        if (p.AwaitingSince is { } since && now >= since && now <= since + ReplyEnd(p))
        {
            if (!p.AwaitingCold)
            {
                // A cold reply's time holds the peer's doorbell wait: no sample of the round trip.
                TimeSpan sample = Clamp(now - since, _options.RttFloor, _options.RttCap);
                p.Rtt = (p.Rtt * 0.875) + (sample * 0.125);
                Rtt = (Rtt * 0.875) + (sample * 0.125);
            }
            p.ReplyYield = (p.ReplyYield * 0.875) + 0.125;
            ReplyYield = (ReplyYield * 0.875) + 0.125;
            p.AwaitingSince = null;
        }
        else if (p.AwaitingSince is not null)
        {
            Expired(p);
        }
        if (p.HoldOpen && p.LastArrival is { } previous)
        {
            JudgeHold(p, caught: now - previous <= _options.Hold);
        }
        p.HoldOpen = true;
        if (p.LastArrival is { } last && now - last <= _options.CadenceCap && now > last)
        {
            TimeSpan gap = now - last;
            if (p.Gap is not { } mean)
            {
                (p.Gap, p.GapDeviation) = (gap, gap / 2);
            }
            else
            {
                p.GapDeviation = (p.GapDeviation * 0.75) + ((gap - mean).Duration() * 0.25);
                p.Gap = (mean * 0.875) + (gap * 0.125);
            }
        }
        else if (p.LastArrival is not null)
        {
            p.Gap = null; // a long silence: the pace is unknown again
        }
        p.LastArrival = p.LastContact = now;
    }

    /// <summary>Peers whose stream should be probed now (each marked probed), and the next time one falls due.</summary>
    public ProbePlan Due(DateTimeOffset now)
    {
        List<Address16>? probes = null;
        List<Address16>? idle = null;
        DateTimeOffset? wake = null;
        foreach ((Address16 address, Peer peer) in _peers)
        {
            if (peer.AwaitingSince is { } since && now > since + ReplyEnd(peer))
            {
                Expired(peer);
            }
            if (peer.HoldOpen && peer.LastArrival is { } last && now > last + _options.Hold)
            {
                JudgeHold(peer, caught: false);
            }
            DateTimeOffset? next = NextProbe(peer, now);
            if (next is { } due && due <= now)
            {
                (probes ??= []).Add(address);
                peer.LastProbe = now;
                next = NextProbe(peer, now);
            }
            if (next is { } later)
            {
                wake = wake is { } w && w < later ? w : later;
            }
            else if (now - peer.LastSeen > _options.Hold + _options.CadenceCap)
            {
                (idle ??= []).Add(address); // nothing expected: its round trip lives on in Rtt
            }
        }
        foreach (Address16 address in idle ?? [])
        {
            _peers.Remove(address);
        }
        return new ProbePlan(probes ?? (IReadOnlyList<Address16>)[], wake);
    }

    /// <summary>
    /// Whether one LIST of the inbox is cheaper than <paramref name="probes"/> GETs, at a LIST's
    /// price over a GET's (12.5 on S3 Standard, about 38 on S3 Express One Zone). A LIST also finds
    /// streams nobody knew of, so at equal price it wins.
    /// </summary>
    public static bool ListIsCheaper(int probes, double listToGetPriceRatio = 12.5) => probes >= listToGetPriceRatio;

    /// <summary>The earliest time at or after the last probe plus the interval that falls inside an open window; null when none is open.</summary>
    private DateTimeOffset? NextProbe(Peer peer, DateTimeOffset now)
    {
        DateTimeOffset? best = null;
        if (peer.AwaitingSince is { } since)
        {
            TimeSpan replyInterval = peer.AwaitingCold
                ? Clamp(Max(TimeSpan.Zero, peer.LastProbe - since) * _options.ColdBackoff, _options.ProbeInterval, _options.HoldMaxInterval)
                : _options.ProbeInterval;
            Consider(ref best, since + (WindowRtt(peer) * _options.StartFactor), since + ReplyEnd(peer), replyInterval);
        }
        if (peer.LastArrival is { } last)
        {
            // Regular: the window (two mean deviations each side) fits in the second half of the gap.
            // Gaps measured by probing at the hold's pace carry that pace's noise (a third of its
            // interval on average), and still qualify: the first arrival caught inside the window
            // is timed to a probe interval, and the window narrows from there.
            TimeSpan margin = Max(_options.CadenceMarginFloor, peer.GapDeviation * 2);
            if (peer.Gap is { } gap && margin <= gap * 0.5)
            {
                Consider(ref best, last + gap - margin, last + gap + margin, _options.ProbeInterval);
            }
            TimeSpan silence = Max(TimeSpan.Zero, peer.LastProbe - last);
            double backoff = _options.HoldBackoff / Math.Max(peer.HoldYield, _options.MinHoldYield);
            TimeSpan holdInterval = Clamp(silence * backoff, _options.ProbeInterval, _options.HoldMaxInterval);
            Consider(ref best, last, last + _options.Hold, holdInterval);
        }
        return best is { } b && b < now ? now : best;

        void Consider(ref DateTimeOffset? result, DateTimeOffset start, DateTimeOffset end, TimeSpan interval)
        {
            DateTimeOffset at = peer.LastProbe == DateTimeOffset.MinValue ? start : Max(start, peer.LastProbe + interval);
            if (at <= end && end >= now && (result is not { } r || at < r))
            {
                result = at;
            }
        }
    }

    /// <summary>The hold after a peer's last object ended, with its next object in it or not.</summary>
    private void JudgeHold(Peer peer, bool caught)
    {
        peer.HoldOpen = false;
        peer.HoldYield += _options.HoldYieldGain * ((caught ? 1 : 0) - peer.HoldYield);
        HoldYield += _options.HoldYieldGain * ((caught ? 1 : 0) - HoldYield);
    }

    /// <summary>No reply within the window: no sample, and replies count as less likely.</summary>
    private void Expired(Peer peer)
    {
        peer.AwaitingSince = null;
        peer.ReplyYield *= 0.875;
        ReplyYield *= 0.875;
    }

    private TimeSpan ReplyEnd(Peer peer)
    {
        TimeSpan rtt = WindowRtt(peer);
        return (rtt * _options.LingerFactor) + (peer.AwaitingCold ? (_options.HoldMaxInterval * (1 + Doorbell.PollJitter)) + rtt : TimeSpan.Zero);
    }

    /// <summary>The round trip a window of <paramref name="peer"/>'s is placed by: its estimate, but no less than the store's own.</summary>
    private TimeSpan WindowRtt(Peer peer) => Clamp(Max(peer.Rtt, _options.StoreRoundTrip), _options.RttFloor, _options.RttCap);

    private Peer Touch(Address16 address, DateTimeOffset now)
    {
        if (!_peers.TryGetValue(address, out Peer? peer))
        {
            if (_peers.Count >= _options.MaxPeers)
            {
                _peers.Remove(_peers.MinBy(p => p.Value.LastSeen).Key);
            }
            _peers[address] = peer = new Peer(Rtt, ReplyYield, HoldYield, now);
        }
        peer.LastSeen = now;
        return peer;
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;
    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
