using System.Buffers.Binary;
using Hoshino.Packets;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Packets;

/// <summary>
/// Decode's promise is "never throws, and nothing bad gets through": a seeded search over random
/// bytes and over mutations of valid bundles checks both halves on every input.
/// </summary>
public sealed class BundleFormatFuzzTests
{
    private const int Iterations = 20_000;

    [Fact]
    public void Decode_RandomAndMutatedInputs_NeverThrowsAndAcceptsOnlyValidPackets()
    {
        var random = new Random(20240611);
        var frames = new List<Range>();
        var outcomes = new Dictionary<RejectReason, int>();
        for (int i = 0; i < Iterations; i++)
        {
            byte[] body = MakeInput(random, i);

            RejectReason reason;
            try
            {
                reason = BundleFormat.Decode(body, Peer16, Self16, frames);
            }
            catch (Exception ex)
            {
                Assert.Fail($"iteration {i}: Decode threw {ex.GetType().Name} on {Convert.ToHexString(body.AsSpan(0, Math.Min(body.Length, 64)))}: {ex.Message}");
                throw;
            }
            outcomes[reason] = outcomes.GetValueOrDefault(reason) + 1;
            if (reason == RejectReason.None)
            {
                AssertAllFramesValid(body, frames, i);
            }
        }

        // The generator must reach both sides of the decision, or the property above says little.
        Assert.True(outcomes.GetValueOrDefault(RejectReason.None) > Iterations / 20, Describe(outcomes));
        foreach (RejectReason expected in new[] { RejectReason.Malformed, RejectReason.NotIpv6, RejectReason.WrongSource,
                     RejectReason.WrongDestination, RejectReason.UnknownVersion, RejectReason.Sealed, RejectReason.Empty })
        {
            Assert.True(outcomes.GetValueOrDefault(expected) > 0, $"{expected} never produced: {Describe(outcomes)}");
        }
    }

    private static void AssertAllFramesValid(byte[] body, List<Range> frames, int iteration)
    {
        Assert.NotEmpty(frames);
        int previousEnd = 0;
        foreach (Range frame in frames)
        {
            (int offset, int length) = frame.GetOffsetAndLength(body.Length);
            Assert.True(offset >= previousEnd, $"iteration {iteration}: frames overlap or go backwards");
            Assert.True(length > 0);
            previousEnd = offset + length;
            ReadOnlySpan<byte> packet = body.AsSpan(frame);
            Assert.True(Ipv6Packet.TryParse(packet, out Ipv6Packet ip), $"iteration {iteration}: accepted a frame that is not IPv6");
            Assert.True(Peer16.Equals(ip.Source), $"iteration {iteration}: accepted a packet from the wrong source");
            Assert.True(Self16.Equals(ip.Destination), $"iteration {iteration}: accepted a packet to the wrong destination");
        }
    }

    private static byte[] MakeInput(Random random, int iteration)
    {
        switch (iteration % 8)
        {
            case 0:
                return ValidBundle(random);
            case 1: // truncated
            {
                byte[] valid = ValidBundle(random);
                return valid[..random.Next(valid.Length)];
            }
            case 2: // bit flips
            {
                byte[] body = ValidBundle(random);
                int flips = 1 + random.Next(4);
                for (int f = 0; f < flips; f++)
                {
                    body[random.Next(body.Length)] ^= (byte)(1 << random.Next(8));
                }
                return body;
            }
            case 3: // a frame length rewritten to something near or far from the truth
            {
                byte[] body = ValidBundle(random);
                int offset = BundleFormat.HeaderLength;
                uint length = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(offset));
                uint replacement = random.Next(3) switch
                {
                    0 => (uint)(length + random.Next(-3, 4)),
                    1 => (uint)random.Next(),
                    _ => (uint)random.NextInt64(0, uint.MaxValue + 1L),
                };
                BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(offset), replacement);
                return body;
            }
            case 4: // a packet from someone else, or to someone else, slipped in
            {
                var packets = new List<byte[]> { Ipv6(Peer, Self, random.Next(0, 64)) };
                packets.Insert(random.Next(2), random.Next(2) == 0
                    ? Ipv6(OtherPeer, Self, random.Next(0, 64))
                    : Ipv6(Peer, OtherPeer, random.Next(0, 64)));
                return Bundle([.. packets]);
            }
            case 5: // the header's version or flags changed
            {
                byte[] body = ValidBundle(random);
                body[3 + random.Next(2)] = (byte)random.Next(256);
                return body;
            }
            case 6: // a bare packet, possibly damaged
            {
                byte[] packet = Ipv6(random.Next(4) == 0 ? OtherPeer : Peer, Self, random.Next(0, 200));
                if (random.Next(2) == 0)
                {
                    packet[random.Next(packet.Length)] = (byte)random.Next(256);
                }
                return random.Next(3) == 0 ? packet[..random.Next(packet.Length + 1)] : packet;
            }
            default: // noise, sometimes behind a valid header
            {
                byte[] noise = new byte[random.Next(0, 300)];
                random.NextBytes(noise);
                if (random.Next(2) == 0 && noise.Length >= BundleFormat.HeaderLength)
                {
                    BundleFormat.WriteHeader(noise);
                }
                return noise;
            }
        }
    }

    private static byte[] ValidBundle(Random random)
    {
        byte[][] packets = [.. Enumerable.Range(0, 1 + random.Next(6)).Select(_ => Ipv6(Peer, Self, random.Next(0, 300), (byte)random.Next(256)))];
        return Bundle(packets);
    }

    private static string Describe(Dictionary<RejectReason, int> outcomes) =>
        string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}={o.Value}"));
}
