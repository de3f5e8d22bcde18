using System.Buffers.Binary;
using Hoshino.Packets;

namespace Hoshino.UnitTests.Fuzz;

/// <summary><see cref="Ipv6Packet.TryParse"/> against an independent oracle on mutated slices of the corpus.</summary>
public sealed class Ipv6PacketFuzzTests
{
    private const int Iterations = 300_000;

    [Fact]
    public void TryParse_MutatedSlices_NeverThrowsAndAgreesWithTheRfc8200Rule()
    {
        List<byte[]> corpus = FuzzCorpus.Inputs(FuzzCorpus.Bundles);
        int seed = FuzzCorpus.Seed(0x5EED_0004);
        var random = new Random(seed);
        var mutator = new Mutator(random, 1 << 17);
        int accepted = 0;
        int inputs = FuzzCorpus.Scaled(Iterations);
        var start = FuzzChecks.Start();

        for (int i = 0; i < inputs; i++)
        {
            mutator.Load(corpus[random.Next(corpus.Count)]);
            mutator.Mutate(corpus);
            ReadOnlySpan<byte> input = mutator.Input;
            // Half the time the whole input, else a slice: frames sit at offset 9 of a one-frame bundle.
            if (random.Next(2) == 0 && input.Length > 0)
            {
                int offset = random.Next(4) == 0 ? Math.Min(9, input.Length) : random.Next(input.Length);
                input = input[offset..];
                input = input[..(random.Next(2) == 0 ? input.Length : random.Next(input.Length + 1))];
            }
            bool parsed = false;
            Ipv6Packet packet = default;
            try
            {
                parsed = Ipv6Packet.TryParse(input, out packet);
            }
            catch (Exception ex)
            {
                FuzzChecks.Fail("ipv6", seed, i, input, $"TryParse threw {ex}");
            }
            bool expected = input.Length >= 40 && input[0] >> 4 == 6 && BinaryPrimitives.ReadUInt16BigEndian(input[4..]) + 40 == input.Length;
            if (parsed != expected)
            {
                FuzzChecks.Fail("ipv6", seed, i, input, $"TryParse said {parsed}, the rule says {expected}");
            }
            if (Ipv6Packet.LooksLikeIpv6(input) != (input.Length > 0 && input[0] >> 4 == 6))
            {
                FuzzChecks.Fail("ipv6", seed, i, input, "LooksLikeIpv6 disagrees with the first nibble");
            }
            if (parsed)
            {
                accepted++;
                if (!packet.Bytes.SequenceEqual(input) || !packet.Source.SequenceEqual(input.Slice(8, 16))
                    || !packet.Destination.SequenceEqual(input.Slice(24, 16)) || packet.PayloadLength != input.Length - 40)
                {
                    FuzzChecks.Fail("ipv6", seed, i, input, "parsed fields do not match the bytes");
                }
            }
        }

        double allocated = FuzzChecks.Report("Ipv6Packet.TryParse", inputs, start, $"accepted={accepted}");
        Assert.True(allocated < 1, $"TryParse (or the harness) allocates {allocated:F1} bytes per input");
        Assert.InRange(accepted, inputs / 50, inputs - inputs / 50);
    }
}
