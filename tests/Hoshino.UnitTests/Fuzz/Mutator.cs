using System.Buffers.Binary;
using Hoshino.Packets;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Fuzz;

/// <summary>
/// libFuzzer-style mutations of one input held in a reusable buffer: bit flips, interesting values,
/// inserts, deletes, copies, splices with other corpus entries, and a few that know the format
/// (frame lengths, IPv6 payload lengths, addresses). Allocates nothing per input. Not thread-safe.
/// </summary>
internal sealed class Mutator(Random random, int capacity)
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x04, 0x05, 0x06, 0x28, 0x40, 0x45, 0x48, 0x4E, 0x53, 0x5F, 0x60, 0x6F, 0x7F, 0x80, 0xFE, 0xFF];
    private static readonly byte[][] Addresses = [Self.GetAddressBytes(), Peer.GetAddressBytes(), OtherPeer.GetAddressBytes(), new byte[16]];

    public byte[] Buffer { get; } = new byte[capacity];
    public int Length { get; private set; }
    public Span<byte> Input => Buffer.AsSpan(0, Length);

    public void Load(ReadOnlySpan<byte> seed)
    {
        Length = Math.Min(seed.Length, Buffer.Length);
        seed[..Length].CopyTo(Buffer);
    }

    /// <summary>Applies 1 to 8 stacked mutations (mostly few), drawing splices from <paramref name="corpus"/>.</summary>
    public void Mutate(IReadOnlyList<byte[]> corpus)
    {
        int count = random.Next(4) == 0 ? 1 + random.Next(8) : 1 + random.Next(2);
        for (int i = 0; i < count; i++)
        {
            MutateOnce(corpus);
        }
    }

    private void MutateOnce(IReadOnlyList<byte[]> corpus)
    {
        switch (random.Next(14))
        {
            case 0 when Length > 0:
                Buffer[random.Next(Length)] ^= (byte)(1 << random.Next(8));
                break;
            case 1 when Length > 0:
                Buffer[random.Next(Length)] = (byte)random.Next(256);
                break;
            case 2 when Length > 0:
                Buffer[random.Next(Length)] = InterestingBytes[random.Next(InterestingBytes.Length)];
                break;
            case 3 when Length >= 2:
            {
                // A 16-bit value where an IPv6 payload length might be: the truth, near it, or extremes.
                int at = random.Next(Length - 1);
                int truth = Length - at + 4 - Ipv6Packet.HeaderLength;
                ushort value = random.Next(4) switch
                {
                    0 => (ushort)(truth + random.Next(-2, 3)),
                    1 => 0,
                    2 => ushort.MaxValue,
                    _ => (ushort)random.Next(65536),
                };
                BinaryPrimitives.WriteUInt16BigEndian(Buffer.AsSpan(at), value);
                break;
            }
            case 4 when Length >= 4:
            {
                // A 32-bit value where a frame length might be: the bytes left, near them, or limits.
                int at = random.Next(Length - 3);
                uint left = (uint)(Length - at - BundleFormat.FrameHeaderLength);
                uint value = random.Next(8) switch
                {
                    0 => left,
                    1 => left + 1,
                    2 => left - 1,
                    3 => (uint)BundleFormat.MaxFrameLength + (uint)random.Next(-1, 2),
                    4 => 0,
                    5 => uint.MaxValue - (uint)random.Next(2),
                    6 => 0x8000_0000u,
                    _ => (uint)random.Next(Ipv6Packet.HeaderLength - 1, Ipv6Packet.HeaderLength + 200),
                };
                BinaryPrimitives.WriteUInt32BigEndian(Buffer.AsSpan(at), value);
                break;
            }
            case 5:
            {
                int n = Math.Min(1 + random.Next(random.Next(2) == 0 ? 4 : 64), Buffer.Length - Length);
                int at = random.Next(Length + 1);
                Insert(at, n);
                random.NextBytes(Buffer.AsSpan(at, n));
                break;
            }
            case 6 when Length > 0:
            {
                int at = random.Next(Length);
                int n = 1 + random.Next(Math.Min(Length - at, random.Next(2) == 0 ? 4 : 128));
                Buffer.AsSpan(at + n, Length - at - n).CopyTo(Buffer.AsSpan(at));
                Length -= n;
                break;
            }
            case 7 when Length > 0:
            {
                // Copy a chunk of the input over, or into, another place (duplicated frames, shifted headers).
                int from = random.Next(Length);
                int n = 1 + random.Next(Math.Min(Length - from, 256));
                int to = random.Next(Length + 1);
                if (random.Next(2) == 0 && Length + n <= Buffer.Length)
                {
                    Insert(to, n);
                    if (from >= to)
                    {
                        from += n;
                    }
                    Buffer.AsSpan(from, Math.Min(n, Length - from)).CopyTo(Buffer.AsSpan(to));
                }
                else
                {
                    n = Math.Min(n, Length - to);
                    Buffer.AsSpan(from, Math.Min(n, Length - from)).CopyTo(Buffer.AsSpan(to));
                }
                break;
            }
            case 8:
                Length = random.Next(Length + 1);
                break;
            case 9 when corpus.Count > 0:
            {
                // Splice: keep a head of this input, continue with the tail of another.
                byte[] other = corpus[random.Next(corpus.Count)];
                int at = random.Next(Length + 1);
                int from = random.Next(other.Length + 1);
                int n = Math.Min(other.Length - from, Buffer.Length - at);
                other.AsSpan(from, n).CopyTo(Buffer.AsSpan(at));
                Length = at + n;
                break;
            }
            case 10:
            {
                // Append a well-formed frame: from the right or a wrong sender, to the right or a wrong node.
                int payload = random.Next(4) == 0 ? random.Next(1500) : random.Next(64);
                int frame = BundleFormat.FrameHeaderLength + Ipv6Packet.HeaderLength + payload;
                if (Length + frame > Buffer.Length)
                {
                    break;
                }
                Span<byte> f = Buffer.AsSpan(Length, frame);
                f.Clear();
                BinaryPrimitives.WriteUInt32BigEndian(f, (uint)(frame - BundleFormat.FrameHeaderLength));
                Span<byte> packet = f[BundleFormat.FrameHeaderLength..];
                packet[0] = 0x60;
                BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)payload);
                packet[6] = 59;
                packet[7] = 64;
                (random.Next(8) == 0 ? Addresses[random.Next(Addresses.Length)] : Addresses[1]).CopyTo(packet[8..]);
                (random.Next(8) == 0 ? Addresses[random.Next(Addresses.Length)] : Addresses[0]).CopyTo(packet[24..]);
                Length += frame;
                break;
            }
            case 11 when Length >= 16:
                Addresses[random.Next(Addresses.Length)].CopyTo(Buffer.AsSpan(random.Next(Length - 15)));
                break;
            case 12 when Length > 0:
            {
                // Overwrite a run with one byte (long zero or 0xFF stretches).
                int at = random.Next(Length);
                Buffer.AsSpan(at, 1 + random.Next(Math.Min(Length - at, 64))).Fill(InterestingBytes[random.Next(InterestingBytes.Length)]);
                break;
            }
            default:
                if (corpus.Count > 0 && random.Next(8) == 0)
                {
                    Load(corpus[random.Next(corpus.Count)]);
                }
                else if (Length > 0)
                {
                    Buffer[random.Next(Length)] ^= (byte)(1 << random.Next(8));
                }
                break;
        }
    }

    private void Insert(int at, int n)
    {
        Buffer.AsSpan(at, Length - at).CopyTo(Buffer.AsSpan(at + n));
        Length += n;
    }
}

/// <summary>The same idea for text (object keys): edits drawn from the characters that matter to the parser.</summary>
internal sealed class TextMutator(Random random, int capacity)
{
    private const string Alphabet = "0123456789abcdefABCDEF:/.%xX ZIiLlOoUu-_\0\u00e9\u0660\uff10\u00b2";
    private const string Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public char[] Buffer { get; } = new char[capacity];
    public int Length { get; private set; }
    public ReadOnlySpan<char> Input => Buffer.AsSpan(0, Length);

    public void Load(string seed)
    {
        Length = Math.Min(seed.Length, Buffer.Length);
        seed.AsSpan(0, Length).CopyTo(Buffer);
    }

    public void Mutate(IReadOnlyList<string> corpus)
    {
        int count = 1 + random.Next(random.Next(4) == 0 ? 6 : 2);
        for (int i = 0; i < count; i++)
        {
            switch (random.Next(9))
            {
                case 0 when Length > 0:
                    Buffer[random.Next(Length)] = Alphabet[random.Next(Alphabet.Length)];
                    break;
                case 1 when Length > 0:
                    Buffer[random.Next(Length)] = Crockford[random.Next(Crockford.Length)];
                    break;
                case 2 when Length < Buffer.Length:
                {
                    int at = random.Next(Length + 1);
                    Buffer.AsSpan(at, Length - at).CopyTo(Buffer.AsSpan(at + 1));
                    Buffer[at] = Alphabet[random.Next(Alphabet.Length)];
                    Length++;
                    break;
                }
                case 3 when Length > 0:
                {
                    int at = random.Next(Length);
                    int n = 1 + random.Next(Math.Min(Length - at, 6));
                    Buffer.AsSpan(at + n, Length - at - n).CopyTo(Buffer.AsSpan(at));
                    Length -= n;
                    break;
                }
                case 4 when Length > 0:
                {
                    // Duplicate a run (":0:0", "//", a repeated segment).
                    int from = random.Next(Length);
                    int n = Math.Min(1 + random.Next(Math.Min(Length - from, 12)), Buffer.Length - Length);
                    int at = random.Next(Length + 1);
                    Buffer.AsSpan(at, Length - at).CopyTo(Buffer.AsSpan(at + n));
                    Length += n;
                    if (from >= at)
                    {
                        from += n;
                    }
                    Buffer.AsSpan(from, Math.Min(n, Length - from)).CopyTo(Buffer.AsSpan(at));
                    break;
                }
                case 5:
                    Length = random.Next(Length + 1);
                    break;
                case 6 when Length > 0:
                {
                    char c = Buffer[random.Next(Length)];
                    int at = random.Next(Length);
                    Buffer[at] = char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c);
                    break;
                }
                case 7 when corpus.Count > 0:
                {
                    string other = corpus[random.Next(corpus.Count)];
                    int at = random.Next(Length + 1);
                    int from = random.Next(other.Length + 1);
                    int n = Math.Min(other.Length - from, Buffer.Length - at);
                    other.AsSpan(from, n).CopyTo(Buffer.AsSpan(at));
                    Length = at + n;
                    break;
                }
                default:
                    if (corpus.Count > 0)
                    {
                        Load(corpus[random.Next(corpus.Count)]);
                    }
                    break;
            }
        }
    }
}
