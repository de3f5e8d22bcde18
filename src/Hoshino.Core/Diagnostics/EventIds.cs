namespace Hoshino.Diagnostics;

/// <summary>
/// Log event ids, one table, a range per area. Each id belongs to one message, and every id here is
/// logged somewhere (EventIdsTests checks both).
/// </summary>
internal static class EventIds
{
    // 1xxx node lifecycle and tunnel setup
    public const int NodeReady = 1001;
    public const int NodeStopping = 1002;
    public const int NodeStopped = 1003;
    public const int NodeLoopFailed = 1004;
    public const int StoreUnreachable = 1021;
    public const int LeaseTakenOver = 1040;
    public const int LeaseConflict = 1041;
    public const int LeaseRenewFailed = 1042;
    public const int LeaseWaiting = 1043;
    public const int ControlListening = 1060;
    public const int ControlStopped = 1061;
    public const int ControlRequestRefused = 1062;
    public const int ControlBusy = 1063;
    public const int MemoryTrimmed = 1070;

    // 2xxx egress (TUN → store)
    public const int EgressStarted = 2000;
    public const int EgressStopped = 2001;
    public const int EgressBundleUploaded = 2002;
    public const int EgressUploadRetry = 2003;
    public const int EgressUploadExpired = 2004;
    public const int EgressUploadRejected = 2005;
    public const int EgressReaderFailed = 2006;
    public const int EgressSenderFailed = 2007;
    public const int EgressFlushed = 2008;
    public const int EgressFlushTimedOut = 2009;
    public const int EgressRingFailed = 2010;
    public const int EgressStreamStarted = 2011;
    public const int EgressRang = 2012;

    // 3xxx ingress (store → TUN)
    public const int IngressStarted = 3000;
    public const int IngressStopped = 3001;
    public const int IngressBundleWritten = 3002;
    public const int IngressObjectRejected = 3003;
    public const int IngressStoreFailed = 3004;
    public const int IngressSealedWithoutKey = 3006;
    public const int IngressAuthFailed = 3007;
    public const int IngressUnsealed = 3008;
    public const int IngressDoorbellHeard = 3009;
    public const int IngressDeleteGivenUp = 3010;
    public const int IngressStreamObjectWritten = 3011;

    // 4xxx peer directory
    public const int DirectoryStarted = 4000;
    public const int DirectoryStopped = 4001;
    public const int DirectoryPublishFailed = 4002;
    public const int DirectoryReadFailed = 4003;
    public const int DirectoryRecordRejected = 4004;
    public const int DirectoryPeerSeen = 4005;
    public const int DirectoryPeerGone = 4006;
    public const int DirectoryNameConflict = 4007;
    public const int DirectoryMoreChanges = 4008;

    // 5xxx DNS responder and systemd-resolved
    public const int DnsListening = 5000;
    public const int DnsStopped = 5001;
    public const int DnsSendFailed = 5002;
    public const int DnsAcceptFailed = 5003;
    public const int DnsServing = 5004;
    public const int DnsLoopFailed = 5005;
    public const int ResolvedConfigured = 5010;
    public const int ResolvedAbsent = 5011;
    public const int ResolvedFailed = 5012;
    public const int ResolvedReverted = 5013;
}
