namespace Hoshino.Transport;

/// <summary>
/// What a receiver remembers about the sequence numbers just below a stream's cursor, after
/// wireguard-go's replay filter: for each of the last <see cref="Size"/> numbers, one bit — handled
/// (delivered, or rejected) or skipped as a hole. A skipped number may still arrive late and is then
/// delivered once (<see cref="TakeLate"/>); a handled one is a duplicate; a number older than the
/// window is a replay. Fixed memory (128 bytes) whatever the numbers. Pure; not thread-safe.
/// </summary>
internal sealed class ReplayWindow
{
    /// <summary>
    /// Numbers remembered below the cursor. A late object is one whose PUT landed after the
    /// receiver skipped it (ADR 0010: after the hole bound); 1,024 objects is over a second of a
    /// bulk stream on RGW (700 PUTs/s for 16 writers), well past any PUT that still matters.
    /// </summary>
    public const int Size = 1024;

    private readonly ulong[] _bits = new ulong[Size / 64];

    /// <param name="next">The first number not yet handled.</param>
    /// <param name="belowUnknown">
    /// True for a stream this receiver never saw: the numbers below <paramref name="next"/> may
    /// still be in flight, so they count as skipped (deliverable once). False for a stream taken up
    /// again from what was remembered of it: everything below was handled.
    /// </param>
    public ReplayWindow(long next, bool belowUnknown)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(next);
        Next = next;
        if (!belowUnknown)
        {
            Array.Fill(_bits, ulong.MaxValue);
        }
    }

    /// <summary>Where a number stands relative to the window.</summary>
    public enum Mark
    {
        /// <summary>At or past the cursor: not decided yet.</summary>
        Ahead,
        /// <summary>Delivered or rejected already: a duplicate.</summary>
        Handled,
        /// <summary>Skipped as a hole: deliver it once if it turns up.</summary>
        Skipped,
        /// <summary>Older than the window: too late, or a replay.</summary>
        Replay,
    }

    /// <summary>The first number not yet handled or skipped: the stream's cursor.</summary>
    public long Next { get; private set; }

    public Mark Check(long sequence) =>
        sequence >= Next ? Mark.Ahead
        : sequence < Next - Size ? Mark.Replay
        : IsSet(sequence) ? Mark.Handled : Mark.Skipped;

    /// <summary>The number at the cursor was handled: advance past it.</summary>
    public void Handle()
    {
        Set(Next, true);
        Next++;
    }

    /// <summary>The <paramref name="count"/> numbers from the cursor are holes: advance past them.</summary>
    public void Skip(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count >= Size)
        {
            Array.Clear(_bits);
        }
        else
        {
            for (long s = Next; s < Next + count; s++)
            {
                Set(s, false);
            }
        }
        Next += count;
    }

    /// <summary>Marks a skipped number handled; false (nothing changed) when it was not skipped.</summary>
    public bool TakeLate(long sequence)
    {
        if (Check(sequence) != Mark.Skipped)
        {
            return false;
        }
        Set(sequence, true);
        return true;
    }

    private bool IsSet(long sequence) => (_bits[Word(sequence)] & Bit(sequence)) != 0;

    private void Set(long sequence, bool handled)
    {
        if (handled)
        {
            _bits[Word(sequence)] |= Bit(sequence);
        }
        else
        {
            _bits[Word(sequence)] &= ~Bit(sequence);
        }
    }

    private static int Word(long sequence) => (int)((sequence & (Size - 1)) >> 6);

    private static ulong Bit(long sequence) => 1UL << (int)(sequence & 63);
}
