namespace Hoshino.Diagnostics;

/// <summary>Which way a packet moves: egress is TUN → store, ingress is store → TUN.</summary>
public enum Direction { Egress, Ingress }

/// <summary>Why a packet that should have been delivered was not. Each is a metric label.</summary>
public enum DropReason
{
    /// <summary>Egress: the queue for the store was full; the TUN reader never blocks.</summary>
    QueueFull,
    /// <summary>Egress: the store kept failing until the packet was too old to matter.</summary>
    Expired,
    /// <summary>Egress: a non-retryable store error (access denied, missing bucket).</summary>
    StoreRejected,
    /// <summary>Ingress: the kernel refused the packet on write.</summary>
    TunWriteFailed,
    /// <summary>Egress: the node shut down before the packet could be sent.</summary>
    Shutdown,
}

/// <summary>Why a packet the kernel gave us is not for the tunnel. Each is a metric label.</summary>
public enum IgnoreReason
{
    /// <summary>Not a well-formed IPv6 packet.</summary>
    NotIpv6,
    /// <summary>Destination is outside the network prefix (multicast, link-local) or is this node.</summary>
    NotInNetwork,
    /// <summary>Source is not this node's address: the receiver would reject it.</summary>
    NotFromSelf,
    /// <summary>Carries another IP packet (IPv6-in-IPv6, IPv4-in-IPv6, GRE): receivers reject it unless allowed.</summary>
    Encapsulated,
}

/// <summary>The store requests Hoshino makes; each is priced differently (see <see cref="HoshinoMetrics"/>).</summary>
public enum StoreOperation { Put, List, Get, Delete, Head }

internal static class MetricLabels
{
    public static string Of(Direction value) => value switch
    {
        Direction.Egress => "egress",
        _ => "ingress",
    };

    public static string Of(DropReason value) => value switch
    {
        DropReason.QueueFull => "queue_full",
        DropReason.Expired => "expired",
        DropReason.StoreRejected => "store_rejected",
        DropReason.TunWriteFailed => "tun_write_failed",
        _ => "shutdown",
    };

    public static string Of(IgnoreReason value) => value switch
    {
        IgnoreReason.NotIpv6 => "not_ipv6",
        IgnoreReason.NotInNetwork => "not_in_network",
        IgnoreReason.Encapsulated => "encapsulated",
        _ => "not_from_self",
    };

    public static string Of(StoreOperation value) => value switch
    {
        StoreOperation.Put => "put",
        StoreOperation.List => "list",
        StoreOperation.Get => "get",
        StoreOperation.Head => "head",
        _ => "delete",
    };

    public static string Of(Packets.RejectReason value) => value switch
    {
        Packets.RejectReason.BadKey => "bad_key",
        Packets.RejectReason.Empty => "empty",
        Packets.RejectReason.Malformed => "malformed",
        Packets.RejectReason.UnknownVersion => "unknown_version",
        Packets.RejectReason.Sealed => "sealed",
        Packets.RejectReason.NotIpv6 => "not_ipv6",
        Packets.RejectReason.WrongSource => "wrong_source",
        Packets.RejectReason.WrongDestination => "wrong_destination",
        Packets.RejectReason.TooLarge => "too_large",
        Packets.RejectReason.TooOld => "too_old",
        Packets.RejectReason.Replay => "replay",
        Packets.RejectReason.Unsealed => "unsealed",
        Packets.RejectReason.AuthFailed => "auth_failed",
        Packets.RejectReason.TooNew => "too_new",
        Packets.RejectReason.BadSource => "bad_source",
        Packets.RejectReason.Encapsulated => "encapsulated",
        Packets.RejectReason.Unfetchable => "unfetchable",
        Packets.RejectReason.RateLimited => "rate_limited",
        Packets.RejectReason.TooManyStreams => "too_many_streams",
        Packets.RejectReason.TooManyEpochs => "too_many_epochs",
        Packets.RejectReason.StaleEpoch => "stale_epoch",
        Packets.RejectReason.TooFarAhead => "too_far_ahead",
        Packets.RejectReason.EpochTooNew => "epoch_too_new",
        _ => "none",
    };

    public static string Of(Peers.DirectoryRejectReason value) => value switch
    {
        Peers.DirectoryRejectReason.BadKey => "bad_key",
        Peers.DirectoryRejectReason.Malformed => "malformed",
        Peers.DirectoryRejectReason.UnknownVersion => "unknown_version",
        Peers.DirectoryRejectReason.TooLarge => "too_large",
        Peers.DirectoryRejectReason.WrongAddress => "wrong_address",
        Peers.DirectoryRejectReason.BadName => "bad_name",
        Peers.DirectoryRejectReason.FutureTime => "future_time",
        Peers.DirectoryRejectReason.Sealed => "sealed",
        Peers.DirectoryRejectReason.Unsealed => "unsealed",
        Peers.DirectoryRejectReason.AuthFailed => "auth_failed",
        Peers.DirectoryRejectReason.Unreadable => "unreadable",
        Peers.DirectoryRejectReason.OverCap => "over_cap",
        _ => "none",
    };

    public static string Of(Store.StoreErrorKind value) => value switch
    {
        Store.StoreErrorKind.Transient => "transient",
        Store.StoreErrorKind.NoSuchBucket => "no_such_bucket",
        Store.StoreErrorKind.InvalidCredentials => "invalid_credentials",
        Store.StoreErrorKind.AccessDenied => "access_denied",
        Store.StoreErrorKind.TooLarge => "too_large",
        Store.StoreErrorKind.Unreadable => "unreadable",
        _ => "other",
    };
}
