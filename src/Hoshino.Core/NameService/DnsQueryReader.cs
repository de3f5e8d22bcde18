using System.Buffers.Binary;

namespace Hoshino.NameService;

/// <summary>
/// Reads one DNS query (RFC 1035 4.1, EDNS0 per RFC 6891) strictly: one question, no answer or
/// authority records, at most one additional record and that an OPT, nothing left over. Input is
/// anyone's: every length is checked against the bytes there, a name may use compression pointers
/// only backwards and at most <see cref="MaxPointers"/> times, and reading allocates nothing.
/// </summary>
internal static class DnsQueryReader
{
    /// <summary>Compression pointers followed in one name; a pointer must also point before itself, so loops end anyway.</summary>
    public const int MaxPointers = 16;

    /// <summary>
    /// Reads <paramref name="message"/>. The question's name is copied, uncompressed, into
    /// <paramref name="nameBuffer"/> (at least <see cref="DnsWire.MaxNameLength"/> bytes). On any
    /// problem but <see cref="DnsQueryProblem.Unanswerable"/>, the id and flags are still set, so a
    /// reply can say what was wrong.
    /// </summary>
    public static DnsQueryProblem TryRead(ReadOnlySpan<byte> message, Span<byte> nameBuffer, out DnsQuery query)
    {
        query = default;
        if (message.Length < DnsWire.HeaderLength)
        {
            return DnsQueryProblem.Unanswerable;
        }
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(message);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        query = new DnsQuery { Id = id, Flags = flags };
        if ((flags & DnsWire.FlagQr) != 0)
        {
            return DnsQueryProblem.Unanswerable;
        }
        if (query.Opcode != 0)
        {
            return DnsQueryProblem.Opcode;
        }
        int qdCount = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        int anCount = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        int nsCount = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        int arCount = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        if (qdCount != 1 || anCount != 0 || nsCount != 0)
        {
            return DnsQueryProblem.QuestionCount;
        }

        int at = DnsWire.HeaderLength;
        int nameLength = ReadName(message, ref at, nameBuffer);
        if (nameLength < 0 || message.Length - at < 4)
        {
            return DnsQueryProblem.Malformed;
        }
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(message[at..]);
        ushort @class = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 2)..]);
        at += 4;
        query = query with { Name = nameBuffer[..nameLength], Type = type, Class = @class };

        if (arCount > 1)
        {
            return DnsQueryProblem.BadEdns;
        }
        if (arCount == 1)
        {
            // OPT: root name (one zero byte), type 41, class = UDP size, TTL = ext-rcode, version, DO|Z, then RDLENGTH and options.
            if (message.Length - at < 11)
            {
                return DnsQueryProblem.Malformed;
            }
            if (message[at] != 0 || BinaryPrimitives.ReadUInt16BigEndian(message[(at + 1)..]) != DnsWire.TypeOpt)
            {
                return DnsQueryProblem.BadEdns;
            }
            ushort udpSize = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 3)..]);
            byte version = message[at + 6];
            uint doAndZ = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 7)..]);
            int rdLength = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 9)..]);
            at += 11;
            if (message.Length - at < rdLength)
            {
                return DnsQueryProblem.Malformed;
            }
            at += rdLength;   // options (cookies, padding, ...) are read by nobody here: skipped whole
            query = query with { HasEdns = true, EdnsUdpSize = udpSize, EdnsVersion = version, EdnsDo = (doAndZ & DnsWire.EdnsDo) != 0 };
        }
        if (at != message.Length)
        {
            return DnsQueryProblem.Malformed;
        }
        return query.HasEdns && query.EdnsVersion != 0 ? DnsQueryProblem.EdnsVersion : DnsQueryProblem.None;
    }

    /// <summary>
    /// Reads the name at <paramref name="at"/> into <paramref name="output"/> in wire form (length-prefixed
    /// labels, a zero byte last); moves <paramref name="at"/> past it. Returns its length, or -1.
    /// </summary>
    internal static int ReadName(ReadOnlySpan<byte> message, ref int at, Span<byte> output)
    {
        int position = at;
        int written = 0;
        int pointers = 0;
        int end = -1;   // where the name ends in the message, once a pointer was followed
        while (true)
        {
            if (position >= message.Length)
            {
                return -1;
            }
            byte length = message[position];
            switch (length & 0xC0)
            {
                case 0xC0:
                    if (position + 1 >= message.Length || ++pointers > MaxPointers)
                    {
                        return -1;
                    }
                    int target = ((length & 0x3F) << 8) | message[position + 1];
                    if (target >= position)
                    {
                        return -1;   // forward or to itself: the loop a hostile message would build
                    }
                    if (end < 0)
                    {
                        end = position + 2;
                    }
                    position = target;
                    continue;
                case 0x00:
                    break;
                default:
                    return -1;   // 0x40 (extended label, RFC 6891 drops it) and 0x80 (reserved)
            }
            if (written + 1 + length > DnsWire.MaxNameLength || position + 1 + length > message.Length)
            {
                return -1;
            }
            message.Slice(position, 1 + length).CopyTo(output[written..]);
            written += 1 + length;
            position += 1 + length;
            if (length == 0)
            {
                at = end >= 0 ? end : position;
                return written;
            }
        }
    }
}
