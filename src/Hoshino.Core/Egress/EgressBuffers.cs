using System.Buffers;

namespace Hoshino.Egress;

/// <summary>
/// The pool of egress's byte arrays: packet copies waiting for the store and bundle bodies in
/// flight. Not <see cref="ArrayPool{T}.Shared"/>: that pool keeps what it is given, per thread and
/// per core, until gen2 collections have seen it unused for 30–60 s, and an idle node runs hardly
/// any. Measured after a bulk transfer with 8 PUTs in flight, the sender's heap stayed at 26.6 MiB
/// through the idle trim (the receiver's: 6.7 MiB). <see cref="Trim"/> lets go of every pooled
/// array at once, so the collection that follows frees them. Bounded: at most
/// <see cref="ArraysPerSize"/> arrays of each power-of-two size are kept; the rest go to the GC.
/// Thread-safe.
/// </summary>
internal static class EgressBuffers
{
    /// <summary>
    /// Enough for a destination's window of bundles (<see cref="Transport.SendWindowOptions.MaxInFlight"/>
    /// 8) and their retries; packet copies beyond it are ordinary garbage.
    /// </summary>
    internal const int ArraysPerSize = 16;

    /// <summary>Largest pooled array: a bundle of <see cref="EgressOptions.MaxBundleBytes"/> (1 MiB) plus framing lands in the 2 MiB size.</summary>
    private const int MaxPooledLength = 2 << 20;

    private static ArrayPool<byte> s_pool = NewPool();

    /// <summary>An array of at least <paramref name="length"/> bytes; give it back with <see cref="Return"/>.</summary>
    public static byte[] Rent(int length) => Volatile.Read(ref s_pool).Rent(length);

    /// <summary>
    /// Takes back an array from <see cref="Rent"/>. One rented before a <see cref="Trim"/> is let
    /// go: the new pool keeps no more arrays of a size than it lent.
    /// </summary>
    public static void Return(byte[] array) => Volatile.Read(ref s_pool).Return(array);

    /// <summary>Drops every pooled array (the host's idle trim), and those out on rent when they come back.</summary>
    public static void Trim() => Volatile.Write(ref s_pool, NewPool());

    private static ArrayPool<byte> NewPool() => ArrayPool<byte>.Create(MaxPooledLength, ArraysPerSize);
}
