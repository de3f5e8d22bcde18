using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics;
using Hoshino.Diagnostics;
using Hoshino.Packets;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Fuzz;

/// <summary>The properties every fuzz input must satisfy, and how a failure is reported and kept.</summary>
internal static class FuzzChecks
{
    /// <summary>
    /// What an accepted object must look like: its frames tile the frames section exactly (each a
    /// 4-byte big-endian length, then that many bytes), and each is one well-formed IPv6 packet from
    /// Peer (the key's src) to Self (this node). A rejected object yields no frames. Null when fine.
    /// </summary>
    public static string? CheckDecoded(ReadOnlySpan<byte> input, RejectReason reason, List<Range> frames, bool sealedLayout)
    {
        if (reason != RejectReason.None)
        {
            return frames.Count == 0 ? null : $"rejected as {MetricLabels.Of(reason)} but left {frames.Count} frames";
        }
        if (frames.Count == 0)
        {
            return "accepted with no frames";
        }
        if (!sealedLayout && Ipv6Packet.LooksLikeIpv6(input))
        {
            if (frames.Count != 1 || frames[0].GetOffsetAndLength(input.Length) != (0, input.Length))
            {
                return "a bare packet must be exactly one frame covering the object";
            }
        }
        else
        {
            if (input.Length < BundleFormat.HeaderLength || !input.StartsWith("HSN"u8)
                || input[3] != BundleFormat.Version1 && !(sealedLayout && input[3] == BundleFormat.Version2)
                || input[4] != (sealedLayout ? BundleFormat.FlagSealed : 0))
            {
                return "accepted without the right header";
            }
            // Sealed (v2 or v1): frames follow the salt or the nonce; plain (v1 only): the header.
            int expected = !sealedLayout ? BundleFormat.HeaderLength
                : input[3] == BundleFormat.Version2 ? BundleFormat.SealedFramesOffset : BundleFormat.Version1SealedFramesOffset;
            int end = sealedLayout ? input.Length - BundleFormat.TagLength : input.Length;
            foreach (Range frame in frames)
            {
                (int offset, int length) = frame.GetOffsetAndLength(input.Length);
                if (offset != expected + BundleFormat.FrameHeaderLength || BinaryPrimitives.ReadUInt32BigEndian(input[expected..]) != (uint)length)
                {
                    return $"frame at {offset} does not follow its length prefix at {expected}";
                }
                expected = offset + length;
            }
            if (expected != end)
            {
                return $"frames end at {expected}, the frames section at {end}";
            }
        }
        foreach (Range frame in frames)
        {
            ReadOnlySpan<byte> packet = input[frame];
            if (!Ipv6Packet.TryParse(packet, out Ipv6Packet ip))
            {
                return $"accepted a frame at {frame} that is not one IPv6 packet";
            }
            if (!Peer16.Equals(ip.Source) || !Self16.Equals(ip.Destination))
            {
                return $"accepted a packet from {Address16.From(ip.Source)} to {Address16.From(ip.Destination)}";
            }
        }
        return null;
    }

    /// <summary>Keeps the input in the corpus (as a crash entry) and fails the test with everything needed to reproduce it.</summary>
    [DoesNotReturn]
    public static void Fail(string target, int seed, int iteration, ReadOnlySpan<byte> input, string problem)
    {
        string saved = FuzzCorpus.SaveCrash(target, input);
        Assert.Fail($"{target}, seed {seed}, iteration {iteration}: {problem}\ninput {FuzzCorpus.Describe(input)}\nsaved as {saved}");
        throw new UnreachableException();
    }

    /// <summary>Marks the start of a run: a timestamp and this thread's allocation counter.</summary>
    public static (long Timestamp, long Allocated) Start() => (Stopwatch.GetTimestamp(), GC.GetAllocatedBytesForCurrentThread());

    /// <summary>Prints the count, rate and allocations per input, so CI logs show what a run covered; returns bytes allocated per input.</summary>
    public static double Report(string target, int inputs, (long Timestamp, long Allocated) start, string outcomes)
    {
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start.Timestamp);
        double allocated = (GC.GetAllocatedBytesForCurrentThread() - start.Allocated) / (double)inputs;
        string line = $"{target}: {inputs:N0} inputs in {elapsed.TotalSeconds:F2} s ({inputs / elapsed.TotalSeconds:N0}/s, {allocated:F1} bytes allocated per input); {outcomes}";
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        Console.WriteLine(line);
        return allocated;
    }

    public static string Describe(int[] outcomes) =>
        string.Join(", ", Enum.GetValues<RejectReason>().Where(r => outcomes[(int)r] > 0).Select(r => $"{MetricLabels.Of(r)}={outcomes[(int)r]}"));
}
