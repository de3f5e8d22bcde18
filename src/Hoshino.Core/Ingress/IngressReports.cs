using Hoshino.Diagnostics;
using Hoshino.Packets;
using Microsoft.Extensions.Logging;

namespace Hoshino.Ingress;

/// <summary>
/// Counts and logs, rate-limited, what both ingress paths refuse and the store failures they retry.
/// A refusal caused by the network key gets a warning of its own per cause (see
/// <see cref="KeyLogInterval"/>); any other refusal shares one limiter, store failures another.
/// Thread-safe: the v1 loop, the v2 loop and their GETs all report here.
/// </summary>
internal sealed partial class IngressReports
{
    /// <summary>
    /// A node that cannot open what it receives (no key, another key) or that receives plain objects
    /// while it requires a key is misconfigured, not attacked, nearly always: each cause gets its own
    /// warning naming the likely fix, at most one per cause every 30 s, so one cannot hide another
    /// and a permanent mismatch stays visible without flooding the journal.
    /// </summary>
    private static readonly TimeSpan KeyLogInterval = TimeSpan.FromSeconds(30);

    private readonly HoshinoMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IngressOptions _options;
    private readonly LogLimiter _failureLog;
    private readonly LogLimiter _rejectLog;
    /// <summary>One limiter per key-mismatch reason: <see cref="RejectReason.Sealed"/>, <see cref="RejectReason.AuthFailed"/>, <see cref="RejectReason.Unsealed"/>.</summary>
    private readonly LogLimiter[] _keyLogs;

    /// <param name="metrics">Counts each refusal by reason.</param>
    /// <param name="time">The clock the limiters run on.</param>
    /// <param name="logger">The pump's logger.</param>
    /// <param name="options">The network key, whose fingerprint an authentication failure names.</param>
    public IngressReports(HoshinoMetrics metrics, TimeProvider time, ILogger logger, IngressOptions options)
    {
        _metrics = metrics;
        _logger = logger;
        _options = options;
        _failureLog = new LogLimiter(time, TimeSpan.FromSeconds(10));
        _rejectLog = new LogLimiter(time, TimeSpan.FromSeconds(10));
        _keyLogs = [new LogLimiter(time, KeyLogInterval), new LogLimiter(time, KeyLogInterval), new LogLimiter(time, KeyLogInterval)];
    }

    /// <summary>The object under <paramref name="key"/> was refused (and is deleted) for <paramref name="reason"/>.</summary>
    public void Reject(string key, RejectReason reason)
    {
        _metrics.ObjectRejected(reason);
        if (IsKeyMismatch(reason))
        {
            LogKeyMismatch(LogText.Escape(key), reason);
        }
        else if (_rejectLog.TryEnter(out long suppressed))
        {
            Log.ObjectRejected(_logger, LogText.Escape(key), MetricLabels.Of(reason), suppressed);
        }
    }

    /// <summary>A store call failed while <paramref name="operation"/>; it will be retried.</summary>
    public void StoreFailed(string operation, Exception ex)
    {
        if (_failureLog.TryEnter(out long suppressed))
        {
            Log.StoreFailed(_logger, operation, ex.Message, suppressed);
        }
    }

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
}
