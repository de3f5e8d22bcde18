using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Hoshino.Store;

/// <summary>
/// Hands out ULIDs that strictly increase for this sender, so a receiver that sorts a sender's keys
/// gets its bundles in the order they were made. Within one millisecond the 80-bit random part is
/// incremented; if the clock steps back, time is held at the last value until it catches up.
/// Thread-safe.
/// </summary>
public sealed class MonotonicUlid(TimeProvider time)
{
    private readonly Lock _lock = new();
    private long _lastMs = -1;
    private ulong _randomHigh; // top 16 of the 80 random bits
    private ulong _randomLow;  // low 64 random bits

    public Ulid Next()
    {
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        Span<byte> bytes = stackalloc byte[16];
        lock (_lock)
        {
            if (now > _lastMs)
            {
                _lastMs = now;
                Span<byte> random = stackalloc byte[10];
                RandomNumberGenerator.Fill(random);
                _randomHigh = BinaryPrimitives.ReadUInt16BigEndian(random);
                // Leave headroom so increments within one millisecond practically never overflow.
                _randomLow = BinaryPrimitives.ReadUInt64BigEndian(random[2..]) >> 1;
            }
            else if (++_randomLow == 0 && ++_randomHigh > 0xFFFF)
            {
                _lastMs++; // 2^80 ULIDs in one millisecond: borrow the next one rather than repeat
                _randomHigh = 0;
            }
            WriteUInt48(bytes, _lastMs);
            BinaryPrimitives.WriteUInt16BigEndian(bytes[6..], (ushort)_randomHigh);
            BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], _randomLow);
        }
        return new Ulid(bytes);
    }

    private static void WriteUInt48(Span<byte> destination, long value)
    {
        for (int i = 5; i >= 0; i--)
        {
            destination[i] = (byte)value;
            value >>= 8;
        }
    }
}
