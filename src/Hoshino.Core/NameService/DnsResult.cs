namespace Hoshino.NameService;

/// <summary>What the responder did with one message. Each is a label of <c>hoshino_dns_queries_total{result}</c>.</summary>
public enum DnsResult
{
    /// <summary>AAAA (or ANY) for a known name, or the zone's SOA: an answer.</summary>
    Answer,
    /// <summary>A known name (or the zone's apex), another type: NOERROR with no answer and the SOA (RFC 2308 NODATA).</summary>
    NoData,
    /// <summary>A name in the zone that no fresh directory record has: NXDOMAIN and the SOA.</summary>
    NxDomain,
    /// <summary>A name outside the zone, or a class other than IN: REFUSED (no recursion).</summary>
    Refused,
    /// <summary>Truncated, malformed, a compression loop, not one question, a bad OPT: FORMERR.</summary>
    Malformed,
    /// <summary>An opcode other than QUERY (NOTIFY, UPDATE, ...): NOTIMP.</summary>
    NotImplemented,
    /// <summary>An EDNS version other than 0: BADVERS.</summary>
    BadVersion,
    /// <summary>Shorter than a header, or a response: no reply at all.</summary>
    Ignored,
}

/// <summary>Why the TCP listener closed a connection it did not finish. Each is a label of <c>hoshino_dns_tcp_closed_total{reason}</c>.</summary>
public enum DnsTcpCloseReason
{
    /// <summary>No complete query within the idle timeout (slowloris, or a client that went quiet).</summary>
    Idle,
    /// <summary>Too many connections open already: closed at once.</summary>
    TooMany,
    /// <summary>A length prefix larger than any query this responder answers.</summary>
    TooLarge,
    /// <summary>A message with nothing to reply to (too short, or a response).</summary>
    Unanswerable,
}
