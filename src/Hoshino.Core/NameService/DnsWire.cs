namespace Hoshino.NameService;

/// <summary>RFC 1035 numbers the responder reads and writes: types, classes, codes, header bits and sizes.</summary>
internal static class DnsWire
{
    public const int HeaderLength = 12;
    public const int MaxNameLength = 255;   // RFC 1035 3.1, in wire bytes
    public const int MaxLabelLength = 63;

    /// <summary>A UDP reply without EDNS0 fits 512 bytes (RFC 1035 4.2.1).</summary>
    public const int ClassicUdpSize = 512;

    /// <summary>
    /// The largest UDP reply this responder sends, and the size it advertises: 1232 bytes, DNS Flag
    /// Day 2020's choice, fits a 1280-byte IPv6 path without fragmentation.
    /// </summary>
    public const int MaxUdpSize = 1232;

    public const ushort TypeA = 1;
    public const ushort TypeNs = 2;
    public const ushort TypeSoa = 6;
    public const ushort TypeAaaa = 28;
    public const ushort TypeOpt = 41;
    public const ushort TypeAny = 255;
    public const ushort ClassIn = 1;
    public const ushort ClassAny = 255;

    // Header flags, in the second 16-bit word.
    public const ushort FlagQr = 0x8000;
    public const ushort FlagAa = 0x0400;
    public const ushort FlagTc = 0x0200;
    public const ushort FlagRd = 0x0100;
    public const int OpcodeShift = 11;

    /// <summary>DO, the DNSSEC OK bit, in the OPT record's TTL field (RFC 3225): echoed.</summary>
    public const uint EdnsDo = 0x8000;
}

/// <summary>Response codes this responder sends (RFC 1035 4.1.1; BADVERS is RFC 6891's, 16, split across the header and OPT).</summary>
internal enum DnsRcode
{
    NoError = 0,
    FormErr = 1,
    NxDomain = 3,
    NotImp = 4,
    Refused = 5,
    BadVers = 16,
}
