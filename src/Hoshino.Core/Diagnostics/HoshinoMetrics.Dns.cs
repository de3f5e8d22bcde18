using Hoshino.NameService;

namespace Hoshino.Diagnostics;

/// <summary>The DNS responder's figures: every message by what became of it, and TCP connections cut short.</summary>
public sealed partial class HoshinoMetrics
{
    private readonly long[] _dnsQueries = new long[Enum.GetValues<DnsResult>().Length];
    private readonly long[] _dnsTcpClosed = new long[Enum.GetValues<DnsTcpCloseReason>().Length];

    public void DnsQuery(DnsResult result) => Interlocked.Increment(ref _dnsQueries[(int)result]);

    public void DnsTcpClosed(DnsTcpCloseReason reason) => Interlocked.Increment(ref _dnsTcpClosed[(int)reason]);

    public long DnsQueries(DnsResult result) => Volatile.Read(ref _dnsQueries[(int)result]);

    public long DnsTcpClosedCount(DnsTcpCloseReason reason) => Volatile.Read(ref _dnsTcpClosed[(int)reason]);

    private void WriteDnsMetrics(PrometheusWriter w)
    {
        w.Family("hoshino_dns_queries_total", "counter", "Messages to the DNS responder, by what became of them (malformed, not_implemented, bad_version and ignored are hostile or broken input).");
        foreach (DnsResult r in Enum.GetValues<DnsResult>())
        {
            w.Sample("hoshino_dns_queries_total", $"result=\"{Of(r)}\"", DnsQueries(r));
        }
        w.Family("hoshino_dns_tcp_closed_total", "counter", "DNS TCP connections the responder closed before the client did, by reason.");
        foreach (DnsTcpCloseReason r in Enum.GetValues<DnsTcpCloseReason>())
        {
            w.Sample("hoshino_dns_tcp_closed_total", $"reason=\"{Of(r)}\"", DnsTcpClosedCount(r));
        }
    }

    internal static string Of(DnsResult value) => value switch
    {
        DnsResult.Answer => "answer",
        DnsResult.NoData => "nodata",
        DnsResult.NxDomain => "nxdomain",
        DnsResult.Refused => "refused",
        DnsResult.Malformed => "malformed",
        DnsResult.NotImplemented => "not_implemented",
        DnsResult.BadVersion => "bad_version",
        _ => "ignored",
    };

    internal static string Of(DnsTcpCloseReason value) => value switch
    {
        DnsTcpCloseReason.Idle => "idle",
        DnsTcpCloseReason.TooMany => "too_many",
        DnsTcpCloseReason.TooLarge => "too_large",
        _ => "unanswerable",
    };
}
