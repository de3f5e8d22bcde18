using System.Runtime.InteropServices;
using System.Text;
using Hoshino.Linux.Interop;
using Hoshino.Tunnel;

namespace Hoshino.Linux.Tun;

/// <summary>
/// A Linux TUN interface (<c>IFF_TUN | IFF_NO_PI</c>: each read or write is one bare IP packet).
/// The interface is not persistent: it disappears when the device is disposed. Configure it with
/// <see cref="Netlink.LinkConfigurator"/>.
/// </summary>
/// <remarks>
/// The fd is non-blocking; <see cref="Read"/> waits in poll(2) on it and on an eventfd that
/// <see cref="Close"/> signals, so shutdown never depends on a packet arriving.
/// </remarks>
public sealed class LinuxTunDevice : ITunDevice
{
    private const string DevicePath = "/dev/net/tun";
    private const nuint TUNSETIFF = 0x400454CA;               // _IOW('T', 202, int)
    private const short IFF_TUN = 0x0001, IFF_NO_PI = 0x1000;

    /// <summary>IPv6 needs 1280 (RFC 8200 §5); the TUN driver caps the MTU at 65535.</summary>
    internal const int MinMtu = 1280, MaxMtu = 65535;

    private readonly SafeFdHandle _tun;
    private readonly SafeFdHandle _wake;
    private int _closed;

    private LinuxTunDevice(SafeFdHandle tun, SafeFdHandle wake, string name, int mtu) =>
        (_tun, _wake, Name, Mtu) = (tun, wake, name, mtu);

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int Mtu { get; }

    /// <summary>
    /// Creates the TUN interface <paramref name="name"/> in the calling thread's network namespace
    /// (a <c>%d</c> in the name lets the kernel pick a number; <see cref="Name"/> holds the result).
    /// <paramref name="mtu"/> is what <see cref="Mtu"/> reports; the link MTU itself is set by
    /// <see cref="Netlink.LinkConfigurator.Apply"/>.
    /// </summary>
    /// <exception cref="TunnelException">The operator has to fix something: the message says what.</exception>
    public static LinuxTunDevice Open(string name, int mtu)
    {
        ArgumentNullException.ThrowIfNull(name);
        CheckName(name, "creating TUN interface");
        CheckMtu(mtu, $"creating TUN interface {name}");

        SafeFdHandle tun = Libc.Open(DevicePath, Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (tun.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            tun.Dispose();
            throw OpenFailure(errno);
        }

        try
        {
            var ifr = new IfReq { Flags = IFF_TUN | IFF_NO_PI };
            Encoding.UTF8.GetBytes(name, ifr.Name);
            if (Libc.Ioctl(tun, TUNSETIFF, ref ifr) < 0)
                throw SetIffFailure(name, Marshal.GetLastPInvokeError());
            ReadOnlySpan<byte> written = ifr.Name;   // the kernel's name, NUL-terminated
            string actualName = Encoding.UTF8.GetString(written[..written.IndexOf((byte)0)]);

            SafeFdHandle wake = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
            if (wake.IsInvalid)
            {
                int errno = Marshal.GetLastPInvokeError();
                wake.Dispose();
                Errno.Throw("eventfd", errno);
            }
            return new LinuxTunDevice(tun, wake, actualName, mtu);
        }
        catch
        {
            tun.Dispose();   // closing the fd removes the half-made interface
            throw;
        }
    }

    /// <inheritdoc/>
    /// <exception cref="NativeCallException">The interface was deleted under us (EBADFD) or another fault.</exception>
    public unsafe int Read(Span<byte> buffer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buffer.Length, Mtu, nameof(buffer));
        if (Volatile.Read(ref _closed) != 0)
            return 0;

        bool tunAdded = false, wakeAdded = false;
        try
        {
            // poll(2) takes raw fds: hold both handles so Dispose cannot close (and the kernel reuse)
            // a number while this thread waits on it. The real close happens on release below.
            try
            {
                _tun.DangerousAddRef(ref tunAdded);
                _wake.DangerousAddRef(ref wakeAdded);
            }
            catch (ObjectDisposedException)
            {
                return 0;
            }

            PollFd* fds = stackalloc PollFd[2];
            fds[0] = new PollFd { Fd = _tun.Fd, Events = Libc.POLLIN };
            fds[1] = new PollFd { Fd = _wake.Fd, Events = Libc.POLLIN };
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    fds[0].ReturnedEvents = fds[1].ReturnedEvents = 0;
                    if (Libc.Poll(fds, 2, -1) < 0)
                    {
                        RetryOrThrow($"poll({Name})");
                        continue;
                    }
                    if (fds[1].ReturnedEvents != 0 || Volatile.Read(ref _closed) != 0)
                        return 0;   // eventfd stays readable, so every later poll returns at once too
                    if (fds[0].ReturnedEvents == 0)
                        continue;

                    // A packet larger than the buffer is truncated by the kernel, not failed; the
                    // parser upstream rejects it by its payload length.
                    nint n = Libc.Read(_tun, p, (nuint)buffer.Length);
                    if (n >= 0)
                        return (int)n;
                    RetryOrThrow($"read({Name})");   // EAGAIN: another reader took it; poll again
                }
            }
        }
        finally
        {
            if (wakeAdded)
                _wake.DangerousRelease();
            if (tunAdded)
                _tun.DangerousRelease();
        }
    }

    /// <inheritdoc/>
    /// <exception cref="NativeCallException">The interface is gone (EBADFD, EBADF) or another fault.</exception>
    /// <exception cref="ObjectDisposedException">The device was disposed.</exception>
    public unsafe bool Write(ReadOnlySpan<byte> packet)
    {
        // Named here rather than left to the SafeHandle marshaller ("Safe handle has been closed"),
        // which still throws the same type for a Dispose that races this check.
        ObjectDisposedException.ThrowIf(_tun.IsClosed, this);
        fixed (byte* p = packet)
        {
            while (true)
            {
                if (Libc.Write(_tun, p, (nuint)packet.Length) >= 0)
                    return true;
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                    continue;
                if (IsPacketRefused(errno))
                    return false;
                Errno.Throw($"write({Name})", errno);
            }
        }
    }

    /// <inheritdoc/>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        Signal(_wake);
    }

    /// <summary>
    /// Wakes and ends any <see cref="Read"/>, then closes the fd, which removes the interface; later
    /// writes throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        Close();
        _tun.Dispose();    // deferred by the SafeHandle until a blocked Read releases it
        _wake.Dispose();
    }

    /// <summary>
    /// Errors tun_get_user returns for this one packet while the device lives on: EINVAL (not IPv4
    /// or IPv6, or empty), EIO (the link is down), EMSGSIZE, ENOMEM/ENOBUFS (no memory for the skb),
    /// EAGAIN (socket send buffer full; never blocks us). The caller counts a drop and goes on.
    /// </summary>
    internal static bool IsPacketRefused(int errno) =>
        errno is Errno.EINVAL or Errno.EIO or Errno.EMSGSIZE or Errno.ENOMEM or Errno.ENOBUFS or Errno.EAGAIN;

    private static void RetryOrThrow(string operation)
    {
        int errno = Marshal.GetLastPInvokeError();
        if (!Errno.IsTransient(errno))
            Errno.Throw(operation, errno);
    }

    private static unsafe void Signal(SafeFdHandle eventFd)
    {
        ulong one = 1;
        while (Libc.Write(eventFd, (byte*)&one, sizeof(ulong)) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR)
                continue;
            if (errno != Errno.EAGAIN)   // EAGAIN: the counter is already non-zero, which is all we need
                Errno.Throw("write(eventfd)", errno);
            return;
        }
    }

    internal static void CheckName(string name, string operation)
    {
        if (LinkConfig.ProblemWithName(name) is { } problem)
            throw new TunnelException(TunnelProblem.InvalidConfig, $"{operation} '{name}': {problem} (choose another --interface)");
    }

    internal static void CheckMtu(int mtu, string operation)
    {
        if (LinkConfig.ProblemWithMtu(mtu) is { } problem)
            throw new TunnelException(TunnelProblem.InvalidConfig, $"{operation}: {problem} (choose another --mtu)");
    }

    private static TunnelException OpenFailure(int errno)
    {
        string message = $"opening {DevicePath}: {Errno.Describe(errno)}";
        var inner = new NativeCallException($"open({DevicePath})", errno);
        return errno switch
        {
            Errno.ENOENT or Errno.ENODEV or Errno.ENXIO => new TunnelException(TunnelProblem.NoDevice,
                $"{message} (load the tun module: modprobe tun; in a container pass --device /dev/net/tun)", inner),
            _ when Errno.IsPermission(errno) => new TunnelException(TunnelProblem.NoPermission,
                $"{message} (run as root or grant CAP_NET_ADMIN)", inner),
            _ => new TunnelException(TunnelProblem.KernelRefused, message, inner),
        };
    }

    private static TunnelException SetIffFailure(string name, int errno)
    {
        string message = $"creating TUN interface {name}: {Errno.Describe(errno)}";
        var inner = new NativeCallException($"ioctl(TUNSETIFF, {name})", errno);
        return errno switch
        {
            _ when Errno.IsPermission(errno) => new TunnelException(TunnelProblem.NoPermission,
                $"{message} (run as root or grant CAP_NET_ADMIN)", inner),
            Errno.EBUSY => new TunnelException(TunnelProblem.NameTaken,
                $"{message} (another process has the interface open; stop it or choose another --interface)", inner),
            Errno.EINVAL => new TunnelException(TunnelProblem.NameTaken,
                $"{message} (an interface of another type has that name, or the name is not valid; choose another --interface)", inner),
            _ => new TunnelException(TunnelProblem.KernelRefused, message, inner),
        };
    }
}
