using Hoshino.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hoshino.Peers;

public sealed partial class PeerDirectory
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.DirectoryStarted, LogLevel.Information,
            "Peer directory: publishing this node as {Name} ({Key}); reading the directory every {Interval:0} s or less often")]
        public static partial void Started(ILogger logger, string name, string key, double interval);

        [LoggerMessage(EventIds.DirectoryStopped, LogLevel.Information, "Peer directory stopped for {Name}")]
        public static partial void Stopped(ILogger logger, string name);

        [LoggerMessage(EventIds.DirectoryPublishFailed, LogLevel.Warning,
            "Peer directory: writing {Key} failed: {Error}; will retry ({Suppressed} more failures not logged). Does the node's policy allow its directory record (deploy/terraform)?")]
        public static partial void PublishFailed(ILogger logger, string key, string error, long suppressed);

        [LoggerMessage(EventIds.DirectoryReadFailed, LogLevel.Warning,
            "Peer directory: listing directory/ failed: {Error}; names stay as last read ({Suppressed} more failures not logged)")]
        public static partial void ReadFailed(ILogger logger, string error, long suppressed);

        [LoggerMessage(EventIds.DirectoryRecordRejected, LogLevel.Warning,
            "Peer directory: refused {Key}: {Reason} ({Suppressed} more not logged)")]
        public static partial void RecordRejected(ILogger logger, string key, string reason, long suppressed);

        [LoggerMessage(EventIds.DirectoryPeerSeen, LogLevel.Information, "Peer directory: {Name} is {Address} (version {Version}, {Sealing})")]
        public static partial void PeerSeen(ILogger logger, string name, string address, string version, string sealing);

        [LoggerMessage(EventIds.DirectoryPeerGone, LogLevel.Information, "Peer directory: {Name} ({Address}) left (record removed or stale)")]
        public static partial void PeerGone(ILogger logger, string name, string address);

        [LoggerMessage(EventIds.DirectoryNameConflict, LogLevel.Warning,
            "Peer directory: the name {Name} is claimed by {Winner} and {Loser}; {Winner} answers (it started first)")]
        public static partial void NameConflict(ILogger logger, string name, string winner, string loser);

        [LoggerMessage(EventIds.DirectoryMoreChanges, LogLevel.Information, "Peer directory: {Count} more changes not logged")]
        public static partial void MoreChanges(ILogger logger, int count);
    }
}
