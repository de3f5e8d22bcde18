using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Hoshino.Linux.Interop;

namespace Hoshino.Linux.Netlink;

/// <summary>Receives each reply message (other than the final ACK) of a request.</summary>
internal delegate void ReplyHandler(ushort type, ReadOnlySpan<byte> payload);

/// <summary>
/// An AF_NETLINK/NETLINK_ROUTE socket that runs one request at a time: send, then read replies
/// with the request's sequence number until the kernel's ACK or error (NLMSG_ERROR). The socket
/// belongs to the network namespace of the thread that created it.
/// </summary>
internal sealed class RouteNetlinkSocket : IDisposable
{
    // The largest reply here is RTM_GETLINK's: 1468 bytes for lo on kernel 6.18 (statistics
    // included). Replies to non-dump requests come one message per datagram: 32 KiB is ample.
    private const int ReceiveBufferSize = 32 * 1024;

    // The kernel answers rtnetlink requests before send() returns, so a reply that has not come
    // within this time never will: fail loudly instead of hanging start-up.
    private static readonly TimeVal ReceiveTimeout = new() { Seconds = 5 };

    private readonly SafeFdHandle _fd;
    private readonly byte[] _receive = new byte[ReceiveBufferSize];
    private readonly Lock _lock = new();
    private uint _sequence = (uint)Environment.TickCount;   // like iproute2: differs across sockets

    public unsafe RouteNetlinkSocket()
    {
        _fd = Libc.Socket(Rtnl.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Rtnl.NETLINK_ROUTE);
        if (_fd.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            _fd.Dispose();
            Errno.Throw("socket(AF_NETLINK, NETLINK_ROUTE)", errno);
        }

        TimeVal timeout = ReceiveTimeout;
        int one = 1;
        if (Libc.SetSockOpt(_fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, &timeout, (uint)sizeof(TimeVal)) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            _fd.Dispose();
            Errno.Throw("setsockopt(SO_RCVTIMEO)", errno);
        }
        // Extended ACKs carry the kernel's reason text ("prefix length must be..."); best effort,
        // kernels before 4.12 lack them and the errno alone still works.
        _ = Libc.SetSockOpt(_fd, Libc.SOL_NETLINK, Libc.NETLINK_EXT_ACK, &one, sizeof(int));
    }

    /// <summary>
    /// Sends <paramref name="request"/> (built with <see cref="NetlinkMessage"/>, NLM_F_ACK set)
    /// and returns 0 on success or the positive errno the kernel answered with;
    /// <paramref name="kernelMessage"/> is the extended-ACK text, if any.
    /// </summary>
    public int Transact(ref NetlinkMessage request, ReplyHandler? onReply, out string? kernelMessage)
    {
        lock (_lock)
        {
            uint sequence = ++_sequence;
            Send(request.Finish(sequence));
            while (true)
            {
                ReadOnlySpan<byte> datagram = Receive();
                while (datagram.Length >= Unsafe.SizeOf<NlMsgHdr>())
                {
                    NlMsgHdr header = MemoryMarshal.Read<NlMsgHdr>(datagram);
                    if (header.Length < Unsafe.SizeOf<NlMsgHdr>() || header.Length > datagram.Length)
                        throw new InvalidDataException($"malformed netlink message (length {header.Length} of {datagram.Length})");
                    ReadOnlySpan<byte> message = datagram[..(int)header.Length];
                    datagram = datagram[Math.Min(Rtnl.Align((int)header.Length), datagram.Length)..];

                    if (header.Sequence != sequence)
                        continue;   // a late answer to an earlier request that timed out
                    ReadOnlySpan<byte> payload = message[Unsafe.SizeOf<NlMsgHdr>()..];
                    if (header.Type == Rtnl.NLMSG_ERROR)
                        return ParseAck(header, payload, out kernelMessage);
                    if (header.Type == Rtnl.NLMSG_DONE)
                    {
                        kernelMessage = null;
                        return 0;
                    }
                    onReply?.Invoke(header.Type, payload);
                }
            }
        }
    }

    public void Dispose() => _fd.Dispose();

    private unsafe void Send(ReadOnlySpan<byte> request)
    {
        fixed (byte* p = request)
        {
            while (Libc.Send(_fd, p, (nuint)request.Length, 0) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                    Errno.Throw("send(NETLINK_ROUTE)", errno);
            }
        }
    }

    private unsafe ReadOnlySpan<byte> Receive()
    {
        fixed (byte* p = _receive)
        {
            while (true)
            {
                // MSG_TRUNC makes recv return the datagram's real length, so truncation is detectable.
                nint n = Libc.Recv(_fd, p, (nuint)_receive.Length, Libc.MSG_TRUNC);
                if (n > _receive.Length)
                    throw new InvalidDataException($"netlink reply of {n} bytes exceeds the {_receive.Length}-byte buffer");
                if (n >= 0)
                    return _receive.AsSpan(0, (int)n);
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                    continue;
                if (errno == Errno.EAGAIN)
                    throw new TimeoutException($"no netlink reply within {ReceiveTimeout.Seconds} s");
                Errno.Throw("recv(NETLINK_ROUTE)", errno);
            }
        }
    }

    /// <summary>Decodes <c>struct nlmsgerr</c> and, with NLM_F_ACK_TLVS, the NLMSGERR_ATTR_MSG text.</summary>
    private static int ParseAck(NlMsgHdr header, ReadOnlySpan<byte> payload, out string? kernelMessage)
    {
        kernelMessage = null;
        if (payload.Length < Unsafe.SizeOf<NlMsgErr>())
            throw new InvalidDataException("truncated netlink ACK");
        NlMsgErr error = MemoryMarshal.Read<NlMsgErr>(payload);

        if ((header.Flags & Rtnl.NLM_F_ACK_TLVS) != 0)
        {
            // Without NLM_F_CAPPED the kernel echoes the whole request before the TLVs.
            int echoed = (header.Flags & Rtnl.NLM_F_CAPPED) != 0
                ? Unsafe.SizeOf<NlMsgHdr>()
                : Rtnl.Align((int)error.Request.Length);
            int tlvStart = sizeof(int) + echoed;
            if (tlvStart <= payload.Length)
            {
                var attributes = new AttributeReader(payload[tlvStart..]);
                while (attributes.MoveNext())
                {
                    if (attributes.Type == Rtnl.NLMSGERR_ATTR_MSG)
                        kernelMessage = Encoding.UTF8.GetString(attributes.Value.TrimEnd((byte)0));
                }
            }
        }
        return -error.Error;
    }
}
