namespace Hoshino.NameService;

/// <summary>
/// A query as <see cref="DnsQueryReader"/> read it: the header fields a reply needs, the question
/// (its name in wire form, uncompressed and in the case the client sent, which a reply must echo:
/// resolvers that randomise case check it), and the EDNS0 OPT record if there was one. Refers to
/// the bytes of the message it came from; allocates nothing.
/// </summary>
internal readonly ref struct DnsQuery
{
    public ushort Id { get; init; }
    public ushort Flags { get; init; }
    public ReadOnlySpan<byte> Name { get; init; }
    public ushort Type { get; init; }
    public ushort Class { get; init; }

    /// <summary>Whether the query carried an OPT record; then a reply carries one too.</summary>
    public bool HasEdns { get; init; }

    /// <summary>The client's UDP payload size from its OPT record (0 without one).</summary>
    public ushort EdnsUdpSize { get; init; }

    public byte EdnsVersion { get; init; }

    /// <summary>The OPT record's TTL field minus the extended rcode and version: DO and the reserved bits.</summary>
    public bool EdnsDo { get; init; }

    public bool RecursionDesired => (Flags & DnsWire.FlagRd) != 0;

    public int Opcode => (Flags >> DnsWire.OpcodeShift) & 0xF;
}

/// <summary>What was wrong with a message that is not a query this responder can answer.</summary>
internal enum DnsQueryProblem
{
    None,
    /// <summary>Shorter than a header, or a response (QR set): nothing to reply to (a reply to a reply could loop).</summary>
    Unanswerable,
    /// <summary>Not a standard query (opcode other than QUERY): NOTIMP.</summary>
    Opcode,
    /// <summary>QDCOUNT other than 1, or answer/authority records in a query: FORMERR.</summary>
    QuestionCount,
    /// <summary>Truncated, a bad label, a name too long, a compression pointer that loops or points forward, bytes left over: FORMERR.</summary>
    Malformed,
    /// <summary>An additional record that is not one OPT with the root name: FORMERR.</summary>
    BadEdns,
    /// <summary>EDNS version other than 0: BADVERS (RFC 6891 6.1.3).</summary>
    EdnsVersion,
}
