using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Hoshino.Linux.Interop;

/// <summary><c>struct ifreq</c>, with only the members Hoshino uses.</summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]   // sizeof(struct ifreq) on 64-bit Linux
internal struct IfReq
{
    public IfName Name;    // char ifr_name[IFNAMSIZ], NUL-terminated
    public short Flags;    // ifr_flags: first member of the union
}

/// <summary><c>char[IFNAMSIZ]</c>: 15 name bytes and a terminating NUL.</summary>
[InlineArray(Size)]
internal struct IfName
{
    public const int Size = 16;
    private byte _element0;
}

/// <summary><c>struct pollfd</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short ReturnedEvents;
}

/// <summary><c>struct timeval</c> on 64-bit Linux.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TimeVal
{
    public long Seconds;
    public long Microseconds;
}
