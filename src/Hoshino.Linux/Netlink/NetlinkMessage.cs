using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Hoshino.Linux.Netlink;

/// <summary>
/// Builds one netlink request in a caller-supplied buffer: header, fixed family struct, then
/// attributes, each padded to 4 bytes. Host byte order throughout (netlink is host-local).
/// </summary>
internal ref struct NetlinkMessage
{
    private readonly Span<byte> _buffer;
    private int _length;

    public NetlinkMessage(Span<byte> buffer, ushort type, ushort flags)
    {
        _buffer = buffer;
        var header = new NlMsgHdr { Type = type, Flags = flags };
        MemoryMarshal.Write(_buffer, in header);
        _length = Unsafe.SizeOf<NlMsgHdr>();
    }

    /// <summary>Appends the family header (<c>ifinfomsg</c>, <c>ifaddrmsg</c>, <c>rtmsg</c>).</summary>
    public void Append<T>(in T body) where T : unmanaged
    {
        MemoryMarshal.Write(_buffer[_length..], in body);
        _length = Rtnl.Align(_length + Unsafe.SizeOf<T>());
    }

    public void AddAttribute(ushort type, scoped ReadOnlySpan<byte> value)
    {
        int start = BeginNested(type);
        value.CopyTo(_buffer[_length..]);
        _length += value.Length;
        EndNested(start);
    }

    public void AddAttribute(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(uint)];
        MemoryMarshal.Write(bytes, in value);   // host order, like every netlink integer
        AddAttribute(type, bytes);
    }

    public void AddAttribute(ushort type, byte value) => AddAttribute(type, [value]);

    /// <summary>A NUL-terminated string attribute such as IFLA_IFNAME.</summary>
    public void AddAttribute(ushort type, string value)
    {
        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetByteCount(value) + 1];
        bytes[Encoding.UTF8.GetBytes(value, bytes)] = 0;
        AddAttribute(type, bytes);
    }

    /// <summary>Starts an attribute whose payload is more attributes; returns the token for <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        int start = _length;
        _length += Unsafe.SizeOf<RtAttr>();
        var header = new RtAttr { Type = type };
        MemoryMarshal.Write(_buffer[start..], in header);
        return start;
    }

    public void EndNested(int start)
    {
        // rta_len counts the header and payload but not the trailing padding.
        var header = new RtAttr { Length = checked((ushort)(_length - start)), Type = MemoryMarshal.Read<RtAttr>(_buffer[start..]).Type };
        MemoryMarshal.Write(_buffer[start..], in header);
        int aligned = Rtnl.Align(_length);
        _buffer[_length..aligned].Clear();
        _length = aligned;
    }

    /// <summary>Stamps length and sequence number into the header; returns the bytes to send.</summary>
    public ReadOnlySpan<byte> Finish(uint sequence)
    {
        NlMsgHdr header = MemoryMarshal.Read<NlMsgHdr>(_buffer);
        header.Length = (uint)_length;
        header.Sequence = sequence;
        MemoryMarshal.Write(_buffer, in header);
        return _buffer[.._length];
    }
}

/// <summary>Walks the attributes (<c>rtattr</c>/<c>nlattr</c>) in a netlink payload.</summary>
internal ref struct AttributeReader(ReadOnlySpan<byte> attributes)
{
    private ReadOnlySpan<byte> _rest = attributes;

    public ushort Type { get; private set; }
    public ReadOnlySpan<byte> Value { get; private set; }

    public bool MoveNext()
    {
        int headerSize = Unsafe.SizeOf<RtAttr>();
        if (_rest.Length < headerSize)
            return false;
        RtAttr header = MemoryMarshal.Read<RtAttr>(_rest);
        if (header.Length < headerSize || header.Length > _rest.Length)
            return false;   // malformed: stop rather than misread
        Type = (ushort)(header.Type & 0x3FFF);   // strip NLA_F_NESTED / NLA_F_NET_BYTEORDER
        Value = _rest[headerSize..header.Length];
        _rest = _rest[Math.Min(Rtnl.Align(header.Length), _rest.Length)..];
        return true;
    }
}
