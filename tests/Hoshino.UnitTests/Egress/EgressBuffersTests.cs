using System.Runtime.CompilerServices;
using Hoshino.Egress;

namespace Hoshino.UnitTests.Egress;

/// <summary>Tests that trim the static pool, or count on it keeping an array, run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class EgressBuffersCollection
{
    public const string Name = "EgressBuffers (static pool)";
}

[Collection(EgressBuffersCollection.Name)]
public sealed class EgressBuffersTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(1280)]
    [InlineData(53049)]
    [InlineData((1 << 20) + 4096)] // a full bundle with its framing: the 2 MiB size
    [InlineData(3 << 20)]          // past the largest pooled size: allocated, not pooled
    public void Rent_AnyLength_AtLeastThatLong(int length)
    {
        byte[] array = EgressBuffers.Rent(length);

        Assert.True(array.Length >= length, $"{array.Length} < {length}");
        EgressBuffers.Return(array);
    }

    [Fact]
    public void Rent_AfterReturn_ReusesTheArray()
    {
        // The 2 MiB size: only bundles of over 1 MiB use it, and no test in parallel sends one.
        byte[] first = EgressBuffers.Rent(1_500_001);
        EgressBuffers.Return(first);

        byte[] second = EgressBuffers.Rent(1_500_001);

        Assert.Same(first, second);
        EgressBuffers.Return(second);
    }

    [Fact]
    public void Trim_PooledArrays_AreLetGo()
    {
        List<WeakReference> weak = FillThePool(1_500_001);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
        Assert.All(weak, w => Assert.True(w.IsAlive, "the pool did not keep the array: the check below would prove nothing"));

        EgressBuffers.Trim();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);

        Assert.All(weak, w => Assert.False(w.IsAlive, "a pooled array survived the trim"));
    }

    /// <summary>Rents and returns a pool's worth of arrays; only weak references stay here.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<WeakReference> FillThePool(int length)
    {
        var pooled = new List<byte[]>();
        for (int i = 0; i < EgressBuffers.ArraysPerSize; i++)
        {
            pooled.Add(EgressBuffers.Rent(length));
        }
        pooled.ForEach(EgressBuffers.Return);
        return [.. pooled.Select(a => new WeakReference(a))];
    }

    [Fact]
    public void Return_ArrayRentedBeforeATrim_IsLetGoWithoutError()
    {
        byte[] before = EgressBuffers.Rent(1_500_001);
        EgressBuffers.Trim();

        EgressBuffers.Return(before); // no "not from this pool": the new pool lent nothing, so it keeps nothing

        byte[] after = EgressBuffers.Rent(1_500_001);
        Assert.NotSame(before, after);
        EgressBuffers.Return(after);
    }
}
