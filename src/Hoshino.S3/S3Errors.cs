using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Hoshino.Store;

namespace Hoshino.S3;

/// <summary>
/// Turns SDK and network exceptions into <see cref="PacketStoreException"/>s whose kind the daemon
/// acts on and whose message names the operation and the object, fit for one log line.
/// </summary>
internal static class S3Errors
{
    /// <summary>
    /// Maps <paramref name="exception"/> thrown by <paramref name="operation"/> on
    /// <paramref name="target"/> (e.g. <c>s3://bucket/key (endpoint)</c>). Returns null for
    /// exceptions that must propagate unchanged (cancellation by the caller, bugs).
    /// </summary>
    public static PacketStoreException? Map(string operation, string target, Exception exception,
        bool timedOut, TimeSpan timeout, Func<string, string> scrub)
    {
        if (timedOut)
        {
            return new PacketStoreException(StoreErrorKind.Transient,
                $"{operation} {target} failed: no response within {timeout.TotalSeconds:0.#} s", exception);
        }
        switch (exception)
        {
            case AmazonServiceException service when service.StatusCode != 0 || service.ErrorCode is not null:
                (StoreErrorKind kind, string what) = Classify(service.ErrorCode, service.StatusCode);
                string detail = what.Length > 0 ? what : scrub(service.Message);
                string code = service.ErrorCode is { Length: > 0 } c ? $"{c}, " : "";
                return new PacketStoreException(kind,
                    $"{operation} {target} failed: {detail} ({code}HTTP {(int)service.StatusCode})", exception);
            case OperationCanceledException:
                return null; // the caller's token: not a store failure
            case ArgumentException or InvalidOperationException or NullReferenceException when !IsNetwork(exception):
                return null; // our bug, not the store's: keep the stack trace meaningful
        }
        if (IsNetwork(exception))
        {
            return new PacketStoreException(StoreErrorKind.Transient,
                $"{operation} {target} failed: {scrub(NetworkReason(exception))}", exception);
        }
        if (exception is AmazonClientException && exception.Message.Contains("credentials", StringComparison.OrdinalIgnoreCase))
        {
            return new PacketStoreException(StoreErrorKind.InvalidCredentials,
                $"{operation} {target} failed: no AWS credentials found (environment, shared profile, container or instance role)",
                exception);
        }
        return new PacketStoreException(StoreErrorKind.Other,
            $"{operation} {target} failed: {scrub(exception.Message)}", exception);
    }

    /// <summary>What an S3 error code (or, without one, the status) means for the daemon.</summary>
    internal static (StoreErrorKind Kind, string What) Classify(string? errorCode, HttpStatusCode status) =>
        errorCode switch
        {
            "NoSuchBucket" => (StoreErrorKind.NoSuchBucket, "the bucket does not exist"),
            "InvalidAccessKeyId" => (StoreErrorKind.InvalidCredentials, "the access key is not known to the store"),
            "SignatureDoesNotMatch" => (StoreErrorKind.InvalidCredentials, "the request signature does not match (wrong secret key)"),
            "ExpiredToken" or "TokenRefreshRequired" => (StoreErrorKind.InvalidCredentials, "the session token has expired"),
            "InvalidToken" => (StoreErrorKind.InvalidCredentials, "the session token is not valid"),
            "AccessDenied" or "AllAccessDisabled" or "AccountProblem" => (StoreErrorKind.AccessDenied, "access denied by the bucket or IAM policy"),
            "SlowDown" or "ServiceUnavailable" or "Throttling" or "ThrottlingException" or "TooManyRequests"
                => (StoreErrorKind.Transient, "throttled by the store"),
            "InternalError" or "RequestTimeout" or "OperationAborted"
                => (StoreErrorKind.Transient, ""),
            "PermanentRedirect" or "AuthorizationHeaderMalformed" or "IllegalLocationConstraintException"
                => (StoreErrorKind.Other, "the bucket is in another region than the one configured"),
            "InvalidObjectState" => (StoreErrorKind.Unreadable, "the object is in an archive storage class and cannot be read without a restore"),
            "RequestTimeTooSkewed" => (StoreErrorKind.Other, "this machine's clock is too far from the store's"),
            _ when (int)status >= 500 || status == HttpStatusCode.TooManyRequests => (StoreErrorKind.Transient, ""),
            _ when status == HttpStatusCode.Forbidden => (StoreErrorKind.AccessDenied, ""),
            _ => (StoreErrorKind.Other, ""),
        };

    private static bool IsNetwork(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException or SocketException or IOException or TimeoutException)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The HttpClient message, which names the endpoint ("Connection refused ([fd00::1]:7480)"),
    /// else the innermost network message.
    /// </summary>
    private static string NetworkReason(Exception exception)
    {
        string reason = exception.Message;
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException)
            {
                return e.Message;
            }
            if (e is SocketException or IOException or TimeoutException)
            {
                reason = e.Message;
            }
        }
        return reason;
    }
}
