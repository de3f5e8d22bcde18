using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Hoshino.Linux.Interop;
using Hoshino.Linux.Tun;
using Hoshino.Tunnel;

namespace Hoshino.Linux.Netlink;

/// <summary>What the kernel reports about a network interface.</summary>
/// <param name="Index">The ifindex.</param>
/// <param name="Name">Interface name.</param>
/// <param name="Mtu">Link MTU in bytes.</param>
/// <param name="IsUp">Whether IFF_UP is set (administratively up).</param>
public sealed record LinkState(int Index, string Name, int Mtu, bool IsUp);

/// <summary>
/// Brings a link to the state a <see cref="LinkConfig"/> describes, over rtnetlink (no <c>ip</c>
/// subprocess). Works in the network namespace of the thread that constructed it. Every call is
/// idempotent; calls are serialised, so one instance may be shared.
/// </summary>
/// <remarks>
/// Failures throw <see cref="TunnelException"/> whose message names the operation and, for missing
/// privileges (EPERM/EACCES, <see cref="TunnelProblem.NoPermission"/>), the fix.
/// </remarks>
public sealed class LinkConfigurator : IDisposable
{
    private const string PermissionHint = " (run as root or grant CAP_NET_ADMIN)";
    private const int RequestBufferSize = 256;   // the largest request here (RTM_NEWROUTE) is 64 bytes

    private readonly RouteNetlinkSocket _socket = new();

    /// <summary>
    /// Applies <paramref name="config"/>: MTU, no link-local address generation, the address with
    /// its prefix length (IFA_F_NODAD: usable at once), link up, and the prefix route via the link.
    /// </summary>
    /// <exception cref="TunnelException">The link is missing, the config is invalid, or the kernel refused.</exception>
    public void Apply(LinkConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Validate(config);
        string name = config.Name;
        LinkState link = GetLink(name)
            ?? throw new TunnelException(TunnelProblem.InvalidConfig, $"looking up interface {name}: {Errno.Describe(Errno.ENODEV)}");

        SetMtu(link, config.Mtu);
        DisableLinkLocal(link);
        AddAddress(link, config.Address, config.PrefixLength);
        SetUp(link);
        ReplacePrefixRoute(link, config.Address, config.PrefixLength);
        WaitForLocalRoute(config.Address, name);
    }

    /// <summary>How long <see cref="Apply"/> waits for the kernel to make the address local.</summary>
    private static readonly TimeSpan LocalRouteTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The kernel installs the address's route in the local table from a work queue, a moment after
    /// the address is added (with IFA_F_NODAD too). Until then a packet for the node that arrives
    /// through the tunnel is not delivered locally but routed back into the device, and lost: a node
    /// must not say it is up before that. Asks the kernel to look the address up (RTM_GETROUTE, as
    /// <c>ip route get</c> does) until the answer is RTN_LOCAL. Measured here: ready within
    /// milliseconds on an idle machine; under load the work queue can lag much longer.
    /// </summary>
    private void WaitForLocalRoute(IPAddress address, string name)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (LookUpRouteType(address, name) != Rtnl.RTN_LOCAL)
        {
            if (System.Diagnostics.Stopwatch.GetElapsedTime(started) > LocalRouteTimeout)
                throw new TunnelException(TunnelProblem.KernelRefused,
                    $"configuring {name}: the kernel did not make {address} local within {LocalRouteTimeout.TotalSeconds:0} s");
            Thread.Sleep(1);
        }
    }

    private byte LookUpRouteType(IPAddress address, string name)
    {
        var request = new NetlinkMessage(stackalloc byte[RequestBufferSize], Rtnl.RTM_GETROUTE, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK);
        request.Append(new RtMsg { Family = Rtnl.AF_INET6, DestinationLength = 128 });
        request.AddAttribute(Rtnl.RTA_DST, AddressBytes(address));
        byte type = 0;
        int errno = _socket.Transact(ref request, (kind, payload) =>
        {
            if (kind == Rtnl.RTM_NEWROUTE)
                type = MemoryMarshal.Read<RtMsg>(payload).Type;
        }, out string? kernelMessage);
        if (errno == Errno.ENETUNREACH)
            return 0; // no route at all yet
        ThrowIfFailed(errno, kernelMessage, $"looking up the route to {address} on {name}");
        return type;
    }

    /// <summary>Returns the state of interface <paramref name="name"/>, or null when there is none.</summary>
    public LinkState? GetLink(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        LinuxTunDevice.CheckName(name, "looking up interface");
        var request = new NetlinkMessage(stackalloc byte[RequestBufferSize], Rtnl.RTM_GETLINK, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK);
        request.Append(new IfInfoMsg { Family = Rtnl.AF_UNSPEC });
        request.AddAttribute(Rtnl.IFLA_IFNAME, name);

        LinkState? state = null;
        int errno = _socket.Transact(ref request, (type, payload) =>
        {
            if (type == Rtnl.RTM_NEWLINK)
                state = ParseLink(payload);
        }, out string? kernelMessage);
        if (errno == Errno.ENODEV)
            return null;
        ThrowIfFailed(errno, kernelMessage, $"looking up interface {name}");
        return state ?? throw new InvalidDataException($"no RTM_NEWLINK in the reply for {name}");
    }

    /// <summary>Deletes interface <paramref name="name"/>. Returns false when it did not exist.</summary>
    public bool DeleteLink(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        LinuxTunDevice.CheckName(name, "deleting interface");
        var request = new NetlinkMessage(stackalloc byte[RequestBufferSize], Rtnl.RTM_DELLINK, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK);
        request.Append(new IfInfoMsg { Family = Rtnl.AF_UNSPEC });
        request.AddAttribute(Rtnl.IFLA_IFNAME, name);

        int errno = _socket.Transact(ref request, null, out string? kernelMessage);
        if (errno == Errno.ENODEV)
            return false;
        ThrowIfFailed(errno, kernelMessage, $"deleting interface {name}");
        return true;
    }

    /// <summary>Closes the netlink socket.</summary>
    public void Dispose() => _socket.Dispose();

    private void SetMtu(LinkState link, int mtu)
    {
        var request = NewLink(stackalloc byte[RequestBufferSize], link, flags: 0, change: 0);
        request.AddAttribute(Rtnl.IFLA_MTU, (uint)mtu);
        Run(ref request, $"setting MTU {mtu} on {link.Name}");
    }

    /// <summary>
    /// A TUN link is ARPHRD_NONE, for which the kernel makes up a random fe80:: address when the link
    /// comes up; with it come router solicitations and MLD reports into the tunnel. Nothing here
    /// uses link-local addresses, so ask for none (IFLA_AF_SPEC/AF_INET6/IFLA_INET6_ADDR_GEN_MODE).
    /// Must precede <see cref="SetUp"/>: the mode is read when the link comes up.
    /// </summary>
    private void DisableLinkLocal(LinkState link)
    {
        var request = NewLink(stackalloc byte[RequestBufferSize], link, flags: 0, change: 0);
        int afSpec = request.BeginNested(Rtnl.IFLA_AF_SPEC);
        int inet6 = request.BeginNested(Rtnl.AF_INET6);
        request.AddAttribute(Rtnl.IFLA_INET6_ADDR_GEN_MODE, Rtnl.IN6_ADDR_GEN_MODE_NONE);
        request.EndNested(inet6);
        request.EndNested(afSpec);
        Run(ref request, $"disabling link-local addresses on {link.Name}");
    }

    private void AddAddress(LinkState link, IPAddress address, int prefixLength)
    {
        // NLM_F_EXCL: an existing address answers EEXIST, which means the desired state holds.
        var request = new NetlinkMessage(stackalloc byte[RequestBufferSize], Rtnl.RTM_NEWADDR,
            Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK | Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL);
        request.Append(new IfAddrMsg
        {
            Family = Rtnl.AF_INET6,
            PrefixLength = (byte)prefixLength,
            Flags = Rtnl.IFA_F_NODAD,   // no duplicate address detection: usable at once
            Scope = Rtnl.RT_SCOPE_UNIVERSE,
            Index = link.Index,
        });
        request.AddAttribute(Rtnl.IFA_ADDRESS, AddressBytes(address));
        Run(ref request, $"adding {address}/{prefixLength} to {link.Name}", Errno.EEXIST);
    }

    private void SetUp(LinkState link)
    {
        var request = NewLink(stackalloc byte[RequestBufferSize], link, flags: Rtnl.IFF_UP, change: Rtnl.IFF_UP);
        Run(ref request, $"setting {link.Name} up");
    }

    /// <summary>
    /// Adding the address already gave the kernel's prefix route (proto kernel, metric 256); this
    /// restores it if someone removed it. Same table, metric and protocol, so NLM_F_REPLACE swaps in
    /// an identical route instead of adding a second one at the user default metric 1024.
    /// </summary>
    private void ReplacePrefixRoute(LinkState link, IPAddress address, int prefixLength)
    {
        byte[] prefix = AddressBytes(address);
        for (int bit = prefixLength; bit < 128; bit++)
            prefix[bit / 8] &= (byte)~(0x80 >> (bit % 8));

        var request = new NetlinkMessage(stackalloc byte[RequestBufferSize], Rtnl.RTM_NEWROUTE,
            Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK | Rtnl.NLM_F_CREATE | Rtnl.NLM_F_REPLACE);
        request.Append(new RtMsg
        {
            Family = Rtnl.AF_INET6,
            DestinationLength = (byte)prefixLength,
            Table = Rtnl.RT_TABLE_MAIN,
            Protocol = Rtnl.RTPROT_KERNEL,
            Scope = Rtnl.RT_SCOPE_UNIVERSE,
            Type = Rtnl.RTN_UNICAST,
        });
        request.AddAttribute(Rtnl.RTA_DST, prefix);
        request.AddAttribute(Rtnl.RTA_OIF, (uint)link.Index);
        request.AddAttribute(Rtnl.RTA_PRIORITY, Rtnl.IP6_RT_PRIO_ADDRCONF);
        Run(ref request, $"adding route {new IPAddress(prefix)}/{prefixLength} via {link.Name}");
    }

    private static NetlinkMessage NewLink(Span<byte> buffer, LinkState link, uint flags, uint change)
    {
        var request = new NetlinkMessage(buffer, Rtnl.RTM_NEWLINK, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK);
        request.Append(new IfInfoMsg { Family = Rtnl.AF_UNSPEC, Index = link.Index, Flags = flags, Change = change });
        return request;
    }

    private void Run(ref NetlinkMessage request, string operation, int acceptedErrno = 0)
    {
        int errno = _socket.Transact(ref request, null, out string? kernelMessage);
        if (errno != acceptedErrno)
            ThrowIfFailed(errno, kernelMessage, operation);
    }

    private static void ThrowIfFailed(int errno, string? kernelMessage, string operation)
    {
        if (errno == 0)
            return;
        var message = new StringBuilder($"{operation}: {Errno.Describe(errno)}");
        if (!string.IsNullOrEmpty(kernelMessage))
            message.Append($" ({kernelMessage})");
        bool permission = Errno.IsPermission(errno);
        if (permission)
            message.Append(PermissionHint);
        throw new TunnelException(permission ? TunnelProblem.NoPermission : TunnelProblem.KernelRefused, message.ToString(),
            new NativeCallException($"rtnetlink: {operation}", errno));
    }

    private static LinkState ParseLink(ReadOnlySpan<byte> payload)
    {
        IfInfoMsg info = MemoryMarshal.Read<IfInfoMsg>(payload);
        string name = "";
        int mtu = 0;
        var attributes = new AttributeReader(payload[Rtnl.Align(Unsafe.SizeOf<IfInfoMsg>())..]);
        while (attributes.MoveNext())
        {
            if (attributes.Type == Rtnl.IFLA_IFNAME)
                name = Encoding.UTF8.GetString(attributes.Value.TrimEnd((byte)0));
            else if (attributes.Type == Rtnl.IFLA_MTU && attributes.Value.Length >= sizeof(uint))
                mtu = (int)MemoryMarshal.Read<uint>(attributes.Value);
        }
        return new LinkState(info.Index, name, mtu, (info.Flags & Rtnl.IFF_UP) != 0);
    }

    private static byte[] AddressBytes(IPAddress address) => address.GetAddressBytes();   // network order

    private static void Validate(LinkConfig config) => config.Validate();
}
