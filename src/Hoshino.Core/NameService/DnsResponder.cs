using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Hoshino.Peers;

namespace Hoshino.NameService;

/// <summary>
/// The answers: <c>NAME.DOMAIN</c> AAAA from the peer directory, authoritative (AA=1), no recursion
/// (RA=0). NXDOMAIN for a name no fresh record has, NODATA for another type of a known name, both
/// with the zone's SOA (RFC 2308); REFUSED outside the zone; FORMERR, NOTIMP and BADVERS for what
/// it cannot read. Stateless and thread-safe: one message in, one reply out, nothing allocated but
/// the name looked up.
/// </summary>
internal sealed class DnsResponder(DnsZone zone, IPeerNames names)
{
    /// <summary>A reply never needs more: header, a 255-byte question, one AAAA, one SOA, OPT are under 400 bytes.</summary>
    public const int MaxResponseLength = 1024;

    private const int OptLength = 11;
    private static readonly byte[] Hostmaster = "\u000Ahostmaster"u8.ToArray();

    /// <summary>
    /// Answers <paramref name="message"/> into <paramref name="response"/> (at least
    /// <see cref="MaxResponseLength"/> bytes); <paramref name="overUdp"/> limits the reply to what
    /// the client said it can receive (512 without EDNS0), setting TC when the answer does not fit.
    /// <paramref name="length"/> is 0 when nothing is to be sent.
    /// </summary>
    public DnsResult Respond(ReadOnlySpan<byte> message, Span<byte> response, bool overUdp, out int length)
    {
        Span<byte> name = stackalloc byte[DnsWire.MaxNameLength];
        DnsQueryProblem problem = DnsQueryReader.TryRead(message, name, out DnsQuery query);
        length = 0;
        switch (problem)
        {
            case DnsQueryProblem.Unanswerable:
                return DnsResult.Ignored;
            case DnsQueryProblem.Opcode:
                length = HeaderOnly(response, query, DnsRcode.NotImp);
                return DnsResult.NotImplemented;
            case DnsQueryProblem.QuestionCount or DnsQueryProblem.Malformed or DnsQueryProblem.BadEdns:
                length = HeaderOnly(response, query, DnsRcode.FormErr);
                return DnsResult.Malformed;
        }

        int limit = !overUdp ? response.Length
            : query.HasEdns ? Math.Clamp((int)query.EdnsUdpSize, DnsWire.ClassicUdpSize, DnsWire.MaxUdpSize)
            : DnsWire.ClassicUdpSize;
        var writer = new Writer(response[..Math.Min(limit, response.Length)]);
        writer.Skip(DnsWire.HeaderLength);
        writer.Bytes(query.Name);
        writer.U16(query.Type);
        writer.U16(query.Class);
        int afterQuestion = writer.Position;
        if (query.HasEdns)
        {
            writer.Reserve(OptLength);
        }

        (DnsResult result, DnsRcode rcode, int answers, int authority) = problem == DnsQueryProblem.EdnsVersion
            ? (DnsResult.BadVersion, DnsRcode.BadVers, 0, 0)
            : WriteSections(ref writer, query);
        bool truncated = writer.Overflowed;
        if (truncated)
        {
            // RFC 2181 9: a reply that does not fit says so and carries no partial section.
            writer.Reset(afterQuestion);
            answers = authority = 0;
        }
        if (query.HasEdns)
        {
            writer.Release(OptLength);
            WriteOpt(ref writer, rcode, query.EdnsDo);
        }

        ushort flags = (ushort)(DnsWire.FlagQr | (query.Flags & DnsWire.FlagRd) | (int)rcode & 0xF);
        if (result is not DnsResult.Refused)
        {
            flags |= DnsWire.FlagAa;
        }
        if (truncated)
        {
            flags |= DnsWire.FlagTc;
        }
        WriteHeader(response, query.Id, flags, 1, answers, authority, query.HasEdns ? 1 : 0);
        length = writer.Position;
        return result;
    }

    private (DnsResult, DnsRcode, int Answers, int Authority) WriteSections(ref Writer writer, scoped DnsQuery query)
    {
        int domainAt = ZoneSuffix(query.Name);
        if (domainAt < 0 || query.Class is not (DnsWire.ClassIn or DnsWire.ClassAny))
        {
            return (DnsResult.Refused, DnsRcode.Refused, 0, 0);
        }
        ushort zonePointer = (ushort)(0xC000 | (DnsWire.HeaderLength + domainAt));
        if (domainAt == 0)
        {
            // The apex: its SOA is the one record it has.
            if (query.Type is DnsWire.TypeSoa or DnsWire.TypeAny)
            {
                WriteSoa(ref writer, zonePointer);
                return (DnsResult.Answer, DnsRcode.NoError, 1, 0);
            }
            WriteSoa(ref writer, zonePointer);
            return (DnsResult.NoData, DnsRcode.NoError, 0, 1);
        }

        PeerRecord? peer = query.Name[0] + 1 == domainAt ? Lookup(query.Name.Slice(1, query.Name[0])) : null;
        if (peer is null || peer.Address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            // Unknown, or a name below a node's (a.b.hoshino): nothing exists there (RFC 8020).
            WriteSoa(ref writer, zonePointer);
            return (DnsResult.NxDomain, DnsRcode.NxDomain, 0, 1);
        }
        if (query.Type is DnsWire.TypeAaaa or DnsWire.TypeAny)
        {
            WriteAaaa(ref writer, peer.Address);
            return (DnsResult.Answer, DnsRcode.NoError, 1, 0);
        }
        WriteSoa(ref writer, zonePointer);
        return (DnsResult.NoData, DnsRcode.NoError, 0, 1);
    }

    /// <summary>Where the zone's name begins in <paramref name="name"/> (at a label boundary, any case), or -1.</summary>
    private int ZoneSuffix(ReadOnlySpan<byte> name)
    {
        int at = 0;
        while (name.Length - at >= zone.Wire.Length)
        {
            if (name.Length - at == zone.Wire.Length)
            {
                return Ascii.EqualsIgnoreCase(name[at..], zone.Wire) ? at : -1;
            }
            at += 1 + name[at];
        }
        return -1;
    }

    private PeerRecord? Lookup(ReadOnlySpan<byte> label)
    {
        foreach (byte b in label)
        {
            // Only a host label can be a peer's name: anything else is not looked up (nor turned into a string).
            if (!char.IsAsciiLetterOrDigit((char)b) && b != (byte)'-')
            {
                return null;
            }
        }
        return names.Find(Encoding.ASCII.GetString(label));
    }

    private void WriteAaaa(ref Writer writer, IPAddress address)
    {
        writer.U16(0xC000 | DnsWire.HeaderLength);   // the question's name
        writer.U16(DnsWire.TypeAaaa);
        writer.U16(DnsWire.ClassIn);
        writer.U32(zone.AnswerTtl);
        writer.U16(16);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        writer.Bytes(bytes);
    }

    /// <summary>The zone's SOA, owner and names compressed against the question. Its minimum is the negative TTL (RFC 2308 5).</summary>
    private void WriteSoa(ref Writer writer, ushort zonePointer)
    {
        writer.U16(zonePointer);
        writer.U16(DnsWire.TypeSoa);
        writer.U16(DnsWire.ClassIn);
        writer.U32(zone.NegativeTtl);
        writer.U16((ushort)(2 + Hostmaster.Length + 2 + 20));
        writer.U16(zonePointer);           // MNAME: the zone itself; every node serves it
        writer.Bytes(Hostmaster);          // RNAME: hostmaster.DOMAIN
        writer.U16(zonePointer);
        writer.U32(1);                     // SERIAL: no zone transfers, so nothing reads it
        writer.U32(zone.AnswerTtl);        // REFRESH
        writer.U32(zone.NegativeTtl);      // RETRY
        writer.U32(zone.AnswerTtl * 10);   // EXPIRE
        writer.U32(zone.NegativeTtl);      // MINIMUM
    }

    private static void WriteOpt(ref Writer writer, DnsRcode rcode, bool dnssecOk)
    {
        writer.Bytes([0]);
        writer.U16(DnsWire.TypeOpt);
        writer.U16(DnsWire.MaxUdpSize);
        writer.U32(((uint)rcode >> 4) << 24 | (dnssecOk ? DnsWire.EdnsDo : 0));   // extended rcode, version 0, DO echoed (RFC 3225)
        writer.U16(0);
    }

    private static int HeaderOnly(Span<byte> response, in DnsQuery query, DnsRcode rcode)
    {
        ushort flags = (ushort)(DnsWire.FlagQr | (query.Flags & (0xF << DnsWire.OpcodeShift | DnsWire.FlagRd)) | (int)rcode);
        WriteHeader(response, query.Id, flags, 0, 0, 0, 0);
        return DnsWire.HeaderLength;
    }

    private static void WriteHeader(Span<byte> response, ushort id, ushort flags, int questions, int answers, int authority, int additional)
    {
        BinaryPrimitives.WriteUInt16BigEndian(response, id);
        BinaryPrimitives.WriteUInt16BigEndian(response[2..], flags);
        BinaryPrimitives.WriteUInt16BigEndian(response[4..], (ushort)questions);
        BinaryPrimitives.WriteUInt16BigEndian(response[6..], (ushort)answers);
        BinaryPrimitives.WriteUInt16BigEndian(response[8..], (ushort)authority);
        BinaryPrimitives.WriteUInt16BigEndian(response[10..], (ushort)additional);
    }

    /// <summary>Writes big-endian fields up to a limit; past it, writes nothing more and remembers that it overflowed.</summary>
    private ref struct Writer(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        private int _limit = buffer.Length;

        public int Position { get; private set; }

        public bool Overflowed { get; private set; }

        public void Skip(int count) => Take(count);

        /// <summary>Keeps <paramref name="count"/> bytes free at the end (for the OPT record).</summary>
        public void Reserve(int count) => _limit -= count;

        public void Release(int count) => _limit += count;

        public void Reset(int position)
        {
            Position = position;
            Overflowed = false;
        }

        public void U16(int value)
        {
            if (Take(2) is int at)
            {
                BinaryPrimitives.WriteUInt16BigEndian(_buffer[at..], (ushort)value);
            }
        }

        public void U32(uint value)
        {
            if (Take(4) is int at)
            {
                BinaryPrimitives.WriteUInt32BigEndian(_buffer[at..], value);
            }
        }

        public void Bytes(scoped ReadOnlySpan<byte> bytes)
        {
            if (Take(bytes.Length) is int at)
            {
                bytes.CopyTo(_buffer[at..]);
            }
        }

        private int? Take(int count)
        {
            if (Overflowed || _limit - Position < count)
            {
                Overflowed = true;
                return null;
            }
            int at = Position;
            Position += count;
            return at;
        }
    }
}
