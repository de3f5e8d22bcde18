using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Hoshino.Packets;
using Hoshino.Store;

namespace Hoshino.Transport;

/// <summary>
/// One sender's stream of objects to one destination: the sender's address and an epoch, a ULID
/// the sender mints each time it (re)creates the stream, so epochs are unique and sort by when
/// they began. Comparison orders by source, then epoch (older first).
/// </summary>
public readonly record struct StreamId(Address16 Source, Ulid Epoch) : IComparable<StreamId>
{
    public int CompareTo(StreamId other)
    {
        int bySource = Source.High != other.Source.High ? Source.High.CompareTo(other.Source.High) : Source.Low.CompareTo(other.Source.Low);
        return bySource != 0 ? bySource : Epoch.CompareTo(other.Epoch);
    }

    public static bool operator <(StreamId left, StreamId right) => left.CompareTo(right) < 0;
    public static bool operator >(StreamId left, StreamId right) => left.CompareTo(right) > 0;
    public static bool operator <=(StreamId left, StreamId right) => left.CompareTo(right) <= 0;
    public static bool operator >=(StreamId left, StreamId right) => left.CompareTo(right) >= 0;

    public override string ToString() => $"{Source}/{Epoch}";
}

/// <summary>
/// The key of one object of a transport v2 stream, relative to the store's key prefix:
/// <c>{dest}/{src}/{epoch}/{seq}</c> (docs/adr/0010-transport-v2.md). <c>dest</c> and <c>src</c>
/// are canonical RFC 5952 text, as in v1 (the inbox and the IAM segment are unchanged); the
/// <c>epoch</c> is a canonical ULID; <c>seq</c> is exactly 16 lower-case hex digits, a number below
/// 2^63, so that the name of the next object of a stream is known before it exists and one object
/// has exactly one key. The first three segments are a v1 key's shape, so the same strict rules
/// apply to them (<see cref="ObjectKey.TryParse"/>).
/// </summary>
public readonly record struct StreamKey
{
    /// <summary>Width of the sequence segment: 16 hex digits hold every non-negative <see cref="long"/>.</summary>
    public const int SequenceDigits = 16;

    /// <summary>
    /// Numbers at or past this are spelled (below 2^63) but not used: a receiver refuses them and a
    /// sender starts a new epoch first (2^62 objects: never, in practice). It keeps every sum the
    /// ledger makes far from overflow.
    /// </summary>
    public const long SequenceLimit = 1L << 62;

    /// <summary>Length of the epoch segment (a ULID).</summary>
    private const int EpochLength = 26;

    /// <summary>A key; the sequence number is 0 or more (negative numbers have no spelling).</summary>
    public StreamKey(Address16 destination, Address16 source, Ulid epoch, long sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        Destination = destination;
        Source = source;
        Epoch = epoch;
        Sequence = sequence;
    }

    public StreamKey(Address16 destination, StreamId stream, long sequence)
        : this(destination, stream.Source, stream.Epoch, sequence)
    {
    }

    public Address16 Destination { get; }
    public Address16 Source { get; }
    public Ulid Epoch { get; }
    public long Sequence { get; }

    public StreamId Stream => new(Source, Epoch);

    /// <summary>The key of object <paramref name="sequence"/> of the same stream, to the same destination.</summary>
    public StreamKey WithSequence(long sequence) => new(Destination, Source, Epoch, sequence);

    public override string ToString() =>
        $"{Destination}/{Source}/{Epoch}/{Sequence.ToString("x16", CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Parses a relative key strictly: the v1 rules for <c>{dest}/{src}/{epoch}</c>, then a slash
    /// and exactly <see cref="SequenceDigits"/> characters of <c>0-9a-f</c>, the first at most
    /// <c>7</c> (below 2^63). No other spelling of the same object is accepted: not upper case, not
    /// fewer or more digits, not a sign, not a trailing slash.
    /// </summary>
    public static bool TryParse(string key, [NotNullWhen(true)] out StreamKey? parsed)
    {
        parsed = null;
        // {dest}/{src}/{epoch}/{seq}: the last segment has a fixed width, and so has the epoch before it.
        int sequenceStart = key.Length - SequenceDigits;
        int epochStart = sequenceStart - 1 - EpochLength;
        if (epochStart < 4 || key[sequenceStart - 1] != '/' || key[epochStart - 1] != '/')
        {
            return false;
        }
        ReadOnlySpan<char> digits = key.AsSpan(sequenceStart);
        if (!TryParseSequence(digits, out long sequence))
        {
            return false;
        }
        // The rest is a v1 key in shape; ObjectKey rejects any third slash, any odd address or ULID.
        if (!ObjectKey.TryParse(key[..(sequenceStart - 1)], out ObjectKey? head))
        {
            return false;
        }
        parsed = new StreamKey(head.Value.Destination, head.Value.Source, head.Value.Id, sequence);
        return true;
    }

    private static bool TryParseSequence(ReadOnlySpan<char> digits, out long sequence)
    {
        sequence = 0;
        if (digits.Length != SequenceDigits || digits[0] > '7')
        {
            return false;
        }
        foreach (char c in digits)
        {
            int value = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'f' => c - 'a' + 10,
                _ => -1,
            };
            if (value < 0)
            {
                return false;
            }
            sequence = (sequence << 4) | (uint)value;
        }
        return true;
    }
}
