using Hoshino.Diagnostics;
using Hoshino.Packets;
using Microsoft.Extensions.Logging;

namespace Hoshino.Ingress;

public sealed partial class IngressPump
{
    /// <summary>
    /// A node that cannot open what it receives (no key, another key) or that receives plain objects
    /// while it requires a key is misconfigured, not attacked, nearly always: each cause gets its own
    /// warning naming the likely fix, at most one per cause every 30 s, so one cannot hide another
    /// and a permanent mismatch stays visible without flooding the journal.
    /// </summary>
    private static readonly TimeSpan KeyLogInterval = TimeSpan.FromSeconds(30);

    /// <summary>One limiter per key-mismatch reason: <see cref="RejectReason.Sealed"/>, <see cref="RejectReason.AuthFailed"/>, <see cref="RejectReason.Unsealed"/>.</summary>
    private readonly LogLimiter[] _keyLogs;

    private static LogLimiter[] NewKeyLogs(TimeProvider time) =>
        [new LogLimiter(time, KeyLogInterval), new LogLimiter(time, KeyLogInterval), new LogLimiter(time, KeyLogInterval)];

    private static bool IsKeyMismatch(RejectReason reason) => reason is RejectReason.Sealed or RejectReason.AuthFailed or RejectReason.Unsealed;

    /// <summary>Logs a rejection caused by the network key; never logs key material (there is none here to log).</summary>
    private void LogKeyMismatch(string key, RejectReason reason)
    {
        int slot = reason switch
        {
            RejectReason.Sealed => 0,
            RejectReason.AuthFailed => 1,
            _ => 2,
        };
        if (!_keyLogs[slot].TryEnter(out long suppressed))
        {
            return;
        }
        switch (reason)
        {
            case RejectReason.Sealed:
                Log.SealedWithoutKey(_logger, key, suppressed);
                break;
            case RejectReason.AuthFailed:
                Log.AuthFailed(_logger, key, _options.Key?.Fingerprint ?? "none", suppressed);
                break;
            default:
                Log.Unsealed(_logger, key, suppressed);
                break;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.IngressStarted, LogLevel.Information, "Ingress started: polling {Inbox} in {Store}")]
        public static partial void Started(ILogger logger, string inbox, string store);

        [LoggerMessage(EventIds.IngressStopped, LogLevel.Information, "Ingress stopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(EventIds.IngressDoorbellHeard, LogLevel.Debug, "Doorbell rang (tag {Tag}): listing the inbox")]
        public static partial void DoorbellHeard(ILogger logger, string? tag);

        [LoggerMessage(EventIds.IngressBundleWritten, LogLevel.Debug, "Delivered {Key}: {PacketCount} packets")]
        public static partial void BundleWritten(ILogger logger, string key, int packetCount);

        [LoggerMessage(EventIds.IngressObjectRejected, LogLevel.Warning, "Rejected and deleted {Key}: {Reason} ({Suppressed} similar messages suppressed)")]
        public static partial void ObjectRejected(ILogger logger, string key, string reason, long suppressed);

        [LoggerMessage(EventIds.IngressStoreFailed, LogLevel.Warning, "Store error while {Operation}: {Error}; will retry ({Suppressed} similar messages suppressed)")]
        public static partial void StoreFailed(ILogger logger, string operation, string error, long suppressed);

        [LoggerMessage(EventIds.IngressDeleteGivenUp, LogLevel.Warning,
            "Gave up deleting {Key} (and {Count} keys in all): the store refused to delete it {Attempts} times, one key per request; it stays in the inbox, ignored, until a lifecycle rule removes it ({Suppressed} similar messages suppressed)")]
        public static partial void DeleteGivenUp(ILogger logger, string key, int count, int attempts, long suppressed);

        [LoggerMessage(EventIds.IngressSealedWithoutKey, LogLevel.Warning,
            "Rejected and deleted {Key}: sealed with a network key this node does not have: pass --network-key-file with the network's key ({Suppressed} similar messages suppressed; counted as hoshino_rejected_objects_total{{reason=\"sealed\"}})")]
        public static partial void SealedWithoutKey(ILogger logger, string key, long suppressed);

        [LoggerMessage(EventIds.IngressAuthFailed, LogLevel.Warning,
            "Rejected and deleted {Key}: failed authentication: the sender uses a different network key than this node's (fingerprint {Fingerprint}), or the object was altered in the store ({Suppressed} similar messages suppressed; counted as hoshino_rejected_objects_total{{reason=\"auth_failed\"}})")]
        public static partial void AuthFailed(ILogger logger, string key, string fingerprint, long suppressed);

        [LoggerMessage(EventIds.IngressUnsealed, LogLevel.Warning,
            "Rejected and deleted {Key}: not sealed, but this node requires a network key: the sender runs without --network-key-file ({Suppressed} similar messages suppressed; counted as hoshino_rejected_objects_total{{reason=\"unsealed\"}})")]
        public static partial void Unsealed(ILogger logger, string key, long suppressed);
    }
}
