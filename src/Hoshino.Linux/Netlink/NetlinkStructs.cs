using System.Runtime.InteropServices;

namespace Hoshino.Linux.Netlink;

// rtnetlink wire structures (include/uapi/linux/netlink.h, rtnetlink.h, if_link.h, if_addr.h).
// All fields are in host byte order; only addresses inside attributes are in network order.

/// <summary><c>struct nlmsghdr</c>, 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NlMsgHdr
{
    public uint Length;
    public ushort Type;
    public ushort Flags;
    public uint Sequence;
    public uint PortId;
}

/// <summary><c>struct nlmsgerr</c> without the echoed request header: the errno (negative) or 0 for an ACK.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NlMsgErr
{
    public int Error;
    public NlMsgHdr Request;
}

/// <summary><c>struct ifinfomsg</c>, 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IfInfoMsg
{
    public byte Family;
    private readonly byte _pad;
    public ushort Type;
    public int Index;
    public uint Flags;
    public uint Change;
}

/// <summary><c>struct ifaddrmsg</c>, 8 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IfAddrMsg
{
    public byte Family;
    public byte PrefixLength;
    public byte Flags;
    public byte Scope;
    public int Index;
}

/// <summary><c>struct rtmsg</c>, 12 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RtMsg
{
    public byte Family;
    public byte DestinationLength;
    public byte SourceLength;
    public byte Tos;
    public byte Table;
    public byte Protocol;
    public byte Scope;
    public byte Type;
    public uint Flags;
}

/// <summary><c>struct rtattr</c> / <c>struct nlattr</c> header, 4 bytes; the payload follows, padded to 4.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RtAttr
{
    public ushort Length;
    public ushort Type;
}

/// <summary>Constants from the rtnetlink UAPI headers, named as there.</summary>
internal static class Rtnl
{
    public const int AF_UNSPEC = 0, AF_NETLINK = 16, AF_INET6 = 10, NETLINK_ROUTE = 0;

    // nlmsghdr.nlmsg_type
    public const ushort NLMSG_ERROR = 2, NLMSG_DONE = 3;
    public const ushort RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18;
    public const ushort RTM_NEWADDR = 20, RTM_NEWROUTE = 24, RTM_GETROUTE = 26;

    // nlmsghdr.nlmsg_flags (requests; then the flags the kernel sets on NLMSG_ERROR)
    public const ushort NLM_F_REQUEST = 0x1, NLM_F_ACK = 0x4;
    public const ushort NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;
    public const ushort NLM_F_CAPPED = 0x100, NLM_F_ACK_TLVS = 0x200;
    public const ushort NLMSGERR_ATTR_MSG = 1;

    // IFLA_* (link attributes) and ifi_flags
    public const ushort IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_AF_SPEC = 26;
    public const ushort IFLA_INET6_ADDR_GEN_MODE = 8;
    public const byte IN6_ADDR_GEN_MODE_NONE = 1;
    public const uint IFF_UP = 0x1;

    // IFA_* (address attributes) and ifa_flags
    public const ushort IFA_ADDRESS = 1;
    public const byte IFA_F_NODAD = 0x02;

    // RTA_* (route attributes) and rtmsg fields
    public const ushort RTA_DST = 1, RTA_OIF = 4, RTA_PRIORITY = 6;
    public const byte RT_TABLE_MAIN = 254, RTPROT_KERNEL = 2, RT_SCOPE_UNIVERSE = 0, RTN_UNICAST = 1, RTN_LOCAL = 2;

    /// <summary>The metric the kernel gives the prefix route of an IPv6 address (IP6_RT_PRIO_ADDRCONF).</summary>
    public const uint IP6_RT_PRIO_ADDRCONF = 256;

    public static int Align(int length) => (length + 3) & ~3;
}
