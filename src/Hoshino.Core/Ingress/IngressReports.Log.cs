using Hoshino.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hoshino.Ingress;

internal sealed partial class IngressReports
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.IngressObjectRejected, LogLevel.Warning, "Rejected and deleted {Key}: {Reason} ({Suppressed} similar messages suppressed)")]
        public static partial void ObjectRejected(ILogger logger, string key, string reason, long suppressed);

        [LoggerMessage(EventIds.IngressStoreFailed, LogLevel.Warning, "Store error while {Operation}: {Error}; will retry ({Suppressed} similar messages suppressed)")]
        public static partial void StoreFailed(ILogger logger, string operation, string error, long suppressed);

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
