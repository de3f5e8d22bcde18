using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Hoshino.UnitTests.NameService;

/// <summary>
/// Queries built byte by byte, and replies read back by a reader of the tests' own (not the
/// responder's), so the tests check the wire format rather than the code against itself.
/// </summary>
internal static class DnsMessages
{
    public const ushort A = 1, Soa = 6, Aaaa = 28, Txt = 16, Any = 255;

    public static byte[] Query(string name, ushort type, ushort id = 0x1234, bool rd = true, int? ednsSize = 1232,
        byte ednsVersion = 0, bool dnssecOk = false, int opcode = 0, ushort @class = 1, int qdCount = 1)
    {
        var m = new List<byte>();
        Add16(m, id);
        Add16(m, (ushort)((opcode << 11) | (rd ? 0x0100 : 0)));
        Add16(m, (ushort)qdCount);
        Add16(m, 0);
        Add16(m, 0);
        Add16(m, (ushort)(ednsSize is null ? 0 : 1));
        m.AddRange(Name(name));
        Add16(m, type);
        Add16(m, @class);
        if (ednsSize is int size)
        {
            m.Add(0);
            Add16(m, 41);
            Add16(m, (ushort)size);
            m.Add(0);
            m.Add(ednsVersion);
            Add16(m, (ushort)(dnssecOk ? 0x8000 : 0));
            Add16(m, 0);
        }
        return [.. m];
    }

    public static byte[] Name(string name)
    {
        var bytes = new List<byte>();
        foreach (string label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        bytes.Add(0);
        return [.. bytes];
    }

    private static void Add16(List<byte> m, ushort value)
    {
        m.Add((byte)(value >> 8));
        m.Add((byte)value);
    }

    public sealed record DnsRecord(string Name, ushort Type, ushort Class, uint Ttl, byte[] Data, string? SoaMname = null, string? SoaRname = null, uint SoaMinimum = 0)
    {
        public IPAddress Address => new(Data);
    }

    public sealed record Reply(ushort Id, ushort Flags, int Rcode, string Question, byte[] QuestionWire, List<DnsRecord> Answers, List<DnsRecord> Authority,
        List<DnsRecord> Additional, int ExtendedRcode)
    {
        public bool Qr => (Flags & 0x8000) != 0;
        public bool Aa => (Flags & 0x0400) != 0;
        public bool Tc => (Flags & 0x0200) != 0;
        public bool Rd => (Flags & 0x0100) != 0;
        public bool Ra => (Flags & 0x0080) != 0;
        public DnsRecord? Opt => Additional.Find(r => r.Type == 41);
        public int FullRcode => (ExtendedRcode << 4) | Rcode;
    }

    public static Reply Parse(ReadOnlySpan<byte> m)
    {
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(m);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(m[2..]);
        int qd = BinaryPrimitives.ReadUInt16BigEndian(m[4..]), an = BinaryPrimitives.ReadUInt16BigEndian(m[6..]);
        int ns = BinaryPrimitives.ReadUInt16BigEndian(m[8..]), ar = BinaryPrimitives.ReadUInt16BigEndian(m[10..]);
        int at = 12;
        string question = "";
        byte[] questionWire = [];
        for (int i = 0; i < qd; i++)
        {
            int start = at;
            question = ReadName(m, ref at);
            questionWire = m[start..at].ToArray();
            at += 4;
        }
        List<DnsRecord> answers = ReadRecords(m, ref at, an), authority = ReadRecords(m, ref at, ns), additional = ReadRecords(m, ref at, ar);
        Assert.Equal(m.Length, at);
        DnsRecord? opt = additional.Find(r => r.Type == 41);
        return new Reply(id, flags, flags & 0xF, question, questionWire, answers, authority, additional, opt is null ? 0 : (int)(opt.Ttl >> 24));
    }

    private static List<DnsRecord> ReadRecords(ReadOnlySpan<byte> m, ref int at, int count)
    {
        var records = new List<DnsRecord>();
        for (int i = 0; i < count; i++)
        {
            string name = ReadName(m, ref at);
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(m[at..]);
            ushort @class = BinaryPrimitives.ReadUInt16BigEndian(m[(at + 2)..]);
            uint ttl = BinaryPrimitives.ReadUInt32BigEndian(m[(at + 4)..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(m[(at + 8)..]);
            at += 10;
            int dataAt = at;
            byte[] data = m.Slice(at, length).ToArray();
            at += length;
            if (type == Soa)
            {
                int p = dataAt;
                string mname = ReadName(m, ref p), rname = ReadName(m, ref p);
                uint minimum = BinaryPrimitives.ReadUInt32BigEndian(m[(p + 16)..]);
                Assert.Equal(dataAt + length, p + 20);
                records.Add(new DnsRecord(name, type, @class, ttl, data, mname, rname, minimum));
                continue;
            }
            records.Add(new DnsRecord(name, type, @class, ttl, data));
        }
        return records;
    }

    /// <summary>Reads a name, following (backward) compression pointers, as dotted text in the case it is written.</summary>
    public static string ReadName(ReadOnlySpan<byte> m, ref int at)
    {
        var labels = new List<string>();
        int position = at, end = -1, hops = 0;
        while (true)
        {
            byte length = m[position];
            if ((length & 0xC0) == 0xC0)
            {
                int target = ((length & 0x3F) << 8) | m[position + 1];
                Assert.True(target < position && ++hops < 20, "a compression pointer in a reply points forward or loops");
                end = end < 0 ? position + 2 : end;
                position = target;
                continue;
            }
            if (length == 0)
            {
                at = end < 0 ? position + 1 : end;
                return string.Join('.', labels);
            }
            labels.Add(Encoding.ASCII.GetString(m.Slice(position + 1, length)));
            position += 1 + length;
        }
    }
}
