using Hoshino.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hoshino.Transport;

public sealed partial class Doorbell
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.EgressRingFailed, LogLevel.Warning, "Could not ring doorbell {Key}: {Error}; if that node is idle it finds the bundle at its next full LIST (--list-max). On AWS, grant every node s3:PutObject on each KEYPREFIX{{node}}/doorbell (deploy/terraform does) ({Suppressed} similar messages suppressed)")]
        public static partial void RingFailed(ILogger logger, string key, string error, long suppressed);

        [LoggerMessage(EventIds.EgressRang, LogLevel.Debug, "Rang doorbell {Key}")]
        public static partial void Rang(ILogger logger, string key);
    }
}
