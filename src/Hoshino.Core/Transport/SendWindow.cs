namespace Hoshino.Transport;

/// <summary>Bounds and gains of a <see cref="SendWindow"/>; the reasons are in docs/adr/0010-transport-v2.md.</summary>
internal sealed class SendWindowOptions
{
    /// <summary>
    /// Most PUTs in flight to one destination. On RGW here 8 concurrent writers reach the pipe's
    /// throughput (bench/RESULTS.md: the pipe is PUT ×8 while GET ×8); past that the store queues.
    /// </summary>
    public int MaxInFlight { get; init; } = 8;

    /// <summary>
    /// A second (third, …) PUT starts only when this much is queued: small packets (ACKs, pings)
    /// keep v1's natural batching, one PUT in flight, so they cost no more requests than before;
    /// and bulk bundles stay large (512 KiB rather than 256: about 18 % fewer requests per MiB at
    /// one stream, goodput no lower; docs/adr/0010-transport-v2.md, "Bulk goodput").
    /// </summary>
    public long MinExtraBytes { get; init; } = 512 << 10;

    /// <summary>Grow while fewer than this many of our PUTs seem queued in the store (TCP Vegas' alpha).</summary>
    public double Alpha { get; init; } = 1;

    /// <summary>Shrink when more than this many seem queued (Vegas' beta); also where slow start ends.</summary>
    public double Beta { get; init; } = 3;

    /// <summary>The base (uncongested) PUT latency of a bundle size is the lowest seen for that size, renewed after this long.</summary>
    public TimeSpan BaseExpiry { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After this long with nothing in flight the window starts again from one (the store may have changed).</summary>
    public TimeSpan IdleRestart { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Ring the destination's doorbell after a PUT unless the previous one was stored less than
    /// this before: the receiver keeps probing a stream for at least this long after an object of
    /// it (<see cref="ReplyExpectationOptions.Hold"/> must not be shorter).
    /// </summary>
    public TimeSpan RingAfter { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// The sender's side of one stream (this node → one destination, one epoch): numbers objects
/// from 0, tracks PUTs in flight and decides how many may be in flight. Starts at one; grows while
/// bundles wait for a slot and the store is not queueing our PUTs (Vegas: queued ≈ limit ×
/// (1 − base latency / latency), smoothed, each PUT against the base of its own size), with a
/// slow start to the first sign of queueing; shrinks
/// when queueing grows, by one on an error and by half on throttling. A number is never reused —
/// a PUT that "failed" may have landed — so a PUT given up on is a hole the receiver skips within
/// its bound; the next PUT stored rings the doorbell, so the receiver lists and sees past it.
/// Pure: no store, no clock (times are arguments). Not thread-safe: one owner per destination.
/// </summary>
internal sealed class SendWindow
{
    private readonly SendWindowOptions _options;
    private readonly Dictionary<long, (DateTimeOffset Started, long Bytes, bool Retried)> _inFlight = [];
    /// <summary>
    /// Lowest first-attempt latency per size class (a quarter of a power of two wide, so at most
    /// ~19 % apart within one): a PUT's latency grows with its size (1 KiB 2.5 ms, 1 MiB 16 ms on
    /// RGW here), so one base for all sizes reads a bulk bundle's transfer time as queueing.
    /// </summary>
    private readonly Dictionary<int, (TimeSpan Low, DateTimeOffset At)> _base = [];
    private bool _slowStart = true;
    private int _completions;
    /// <summary>EWMA (gain 1/4) of base latency of its size over each sample's latency: 1 while the store queues nothing of ours.</summary>
    private double? _uncongested;
    private DateTimeOffset? _lastDone;
    private DateTimeOffset _lastDecrease = DateTimeOffset.MinValue;
    private bool _ringOwed;

    /// <param name="epoch">Fresh for this window: a ULID minted when it is created (ADR 0010).</param>
    /// <param name="options">Bounds and gains; the defaults when null.</param>
    /// <param name="firstSequence">0 for a new stream; tests start near the end.</param>
    public SendWindow(Ulid epoch, SendWindowOptions? options = null, long firstSequence = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstSequence);
        Epoch = epoch;
        _options = options ?? new SendWindowOptions();
        NextSequence = firstSequence;
    }

    public Ulid Epoch { get; }

    /// <summary>The number the next PUT gets.</summary>
    public long NextSequence { get; private set; }

    public int InFlight => _inFlight.Count;

    /// <summary>How many PUTs may be in flight now (1 to <see cref="SendWindowOptions.MaxInFlight"/>).</summary>
    public int Limit { get; private set; } = 1;

    /// <summary>PUTs given up on: numbers the receiver will never see.</summary>
    public long Holes { get; private set; }

    /// <summary>Lowest first-attempt PUT latency seen lately for the size of the last sample; null before any.</summary>
    public TimeSpan? BaseLatency { get; private set; }

    /// <summary>Our PUTs the store seems to queue (Vegas: limit × (1 − base / latency), each PUT against the base of its size); null before any sample.</summary>
    public double? Queued => _uncongested is { } ratio ? Limit * (1 - ratio) : null;

    /// <summary>EWMA (gain 1/4) of first-attempt PUT latencies; null before any.</summary>
    public TimeSpan? SmoothedLatency { get; private set; }

    /// <summary>When the last PUT was stored.</summary>
    public DateTimeOffset? LastStored { get; private set; }

    /// <summary>The stream has used up its numbers: start a new epoch (a new window).</summary>
    public bool IsExhausted => NextSequence >= StreamKey.SequenceLimit;

    /// <summary>
    /// Whether another PUT should start with <paramref name="queuedBytes"/> waiting: always when
    /// none is in flight (natural batching: no added delay); otherwise while the window has room
    /// and at least <see cref="SendWindowOptions.MinExtraBytes"/> wait.
    /// </summary>
    public bool MayStart(long queuedBytes) =>
        queuedBytes > 0 && !IsExhausted
        && (_inFlight.Count == 0 || (_inFlight.Count < Limit && queuedBytes >= _options.MinExtraBytes));

    /// <summary>
    /// Starts a PUT of <paramref name="bytes"/> (the bundle's size, which its latency depends on):
    /// returns its sequence number. Call only when <see cref="MayStart"/> said so.
    /// </summary>
    public long Start(DateTimeOffset now, long bytes = 0)
    {
        if (_inFlight.Count >= Limit || IsExhausted)
        {
            throw new InvalidOperationException($"the window is full ({_inFlight.Count} of {Limit} in flight)");
        }
        if (_inFlight.Count == 0 && _lastDone is { } done && now - done >= _options.IdleRestart)
        {
            Limit = 1;
            _slowStart = true;
            _completions = 0;
        }
        long sequence = NextSequence++;
        _inFlight.Add(sequence, (now, bytes, false));
        return sequence;
    }

    /// <summary>
    /// The PUT of <paramref name="sequence"/> succeeded, with <paramref name="queuedBytes"/> waiting
    /// for the next one. Returns true when the doorbell should be rung (the first object after a
    /// quiet spell, or after a hole).
    /// </summary>
    public bool Stored(long sequence, DateTimeOffset now, long queuedBytes)
    {
        (DateTimeOffset started, long bytes, bool retried) = Take(sequence);
        if (!retried)
        {
            Sample(now - started, bytes, now);
        }
        bool ring = _ringOwed || LastStored is not { } last || now - last >= _options.RingAfter;
        _ringOwed = false;
        LastStored = now;
        _lastDone = now;
        Adapt(queuedBytes);
        return ring;
    }

    /// <summary>
    /// An attempt failed and the PUT will be retried (with the same number and the same bytes:
    /// sealing binds the name, ADR 0008). Throttling halves the window, another error takes one
    /// off; at most once per smoothed latency, so one burst of failures counts once.
    /// </summary>
    public void AttemptFailed(long sequence, bool throttled, DateTimeOffset now)
    {
        if (!_inFlight.TryGetValue(sequence, out (DateTimeOffset Started, long Bytes, bool Retried) flight))
        {
            throw new ArgumentException($"no PUT of {sequence} is in flight", nameof(sequence));
        }
        _inFlight[sequence] = flight with { Retried = true }; // its latency says nothing about the store's queue
        _slowStart = false;
        if (now - _lastDecrease < (SmoothedLatency ?? TimeSpan.Zero))
        {
            return;
        }
        _lastDecrease = now;
        _completions = 0;
        Limit = Math.Max(1, throttled ? Limit / 2 : Limit - 1);
    }

    /// <summary>The PUT of <paramref name="sequence"/> is given up (too old, or refused for good): its number is a hole.</summary>
    public void GaveUp(long sequence, DateTimeOffset now)
    {
        Take(sequence);
        Holes++;
        _ringOwed = true; // the receiver's probes stop at the hole; a ring makes it list past it
        _lastDone = now;
    }

    /// <summary>
    /// The ring <see cref="Stored"/> asked for failed: the next object stored rings again (the
    /// receiver may be idle, and its listing is what would find this stream's objects).
    /// </summary>
    public void RingFailed() => _ringOwed = true;

    private (DateTimeOffset Started, long Bytes, bool Retried) Take(long sequence) =>
        _inFlight.Remove(sequence, out (DateTimeOffset, long, bool) flight)
            ? flight
            : throw new ArgumentException($"no PUT of {sequence} is in flight", nameof(sequence));

    private void Sample(TimeSpan latency, long bytes, DateTimeOffset now)
    {
        latency = TimeSpan.FromTicks(Math.Max(1, latency.Ticks));
        int size = SizeClass(bytes);
        if (!_base.TryGetValue(size, out (TimeSpan Low, DateTimeOffset At) low) || latency <= low.Low || now - low.At >= _options.BaseExpiry)
        {
            _base[size] = low = (latency, now);
        }
        BaseLatency = low.Low;
        double ratio = low.Low / latency;
        _uncongested = _uncongested is { } u ? (u * 0.75) + (ratio * 0.25) : ratio;
        SmoothedLatency = SmoothedLatency is { } s ? (s * 0.75) + (latency * 0.25) : latency;
    }

    /// <summary>Four classes per power of two of the size (0 for an empty or unknown size): at most 252.</summary>
    internal static int SizeClass(long bytes) => bytes <= 1 ? 0 : (int)(4 * Math.Log2(bytes));

    /// <summary>Vegas, per completion in slow start and per window's worth of completions after.</summary>
    private void Adapt(long queuedBytes)
    {
        _completions++;
        // Grow only when the window is what holds bundles back: something waits and every slot was busy.
        bool limited = queuedBytes >= _options.MinExtraBytes && _inFlight.Count + 1 >= Limit;
        if (Queued is not { } queued)
        {
            return;
        }
        if (_slowStart)
        {
            if (queued >= _options.Beta)
            {
                _slowStart = false;
            }
            else if (limited)
            {
                Limit = Math.Min(_options.MaxInFlight, Limit + 1);
            }
            return;
        }
        if (_completions < Limit)
        {
            return;
        }
        _completions = 0;
        if (queued > _options.Beta)
        {
            Limit = Math.Max(1, Limit - 1);
        }
        else if (queued < _options.Alpha && limited)
        {
            Limit = Math.Min(_options.MaxInFlight, Limit + 1);
        }
    }
}
