using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Hoshino.S3;
using Hoshino.Store;

namespace Hoshino.UnitTests.S3;

/// <summary>What an S3 failure means for the node: the kind decides retry, drop or exit; the message is the operator's one line.</summary>
public sealed class S3ErrorsTests
{
    private const string Target = "s3://bucket/key (http://[fd00::1]:7480)";

    [Theory]
    [InlineData("NoSuchBucket", HttpStatusCode.NotFound, StoreErrorKind.NoSuchBucket, "the bucket does not exist")]
    [InlineData("InvalidAccessKeyId", HttpStatusCode.Forbidden, StoreErrorKind.InvalidCredentials, "the access key is not known to the store")]
    [InlineData("SignatureDoesNotMatch", HttpStatusCode.Forbidden, StoreErrorKind.InvalidCredentials, "the request signature does not match (wrong secret key)")]
    [InlineData("ExpiredToken", HttpStatusCode.BadRequest, StoreErrorKind.InvalidCredentials, "the session token has expired")]
    [InlineData("TokenRefreshRequired", HttpStatusCode.BadRequest, StoreErrorKind.InvalidCredentials, "the session token has expired")]
    [InlineData("InvalidToken", HttpStatusCode.BadRequest, StoreErrorKind.InvalidCredentials, "the session token is not valid")]
    [InlineData("AccessDenied", HttpStatusCode.Forbidden, StoreErrorKind.AccessDenied, "access denied by the bucket or IAM policy")]
    [InlineData("AllAccessDisabled", HttpStatusCode.Forbidden, StoreErrorKind.AccessDenied, "access denied by the bucket or IAM policy")]
    [InlineData("AccountProblem", HttpStatusCode.Forbidden, StoreErrorKind.AccessDenied, "access denied by the bucket or IAM policy")]
    [InlineData("SlowDown", HttpStatusCode.ServiceUnavailable, StoreErrorKind.Transient, "throttled by the store")]
    [InlineData("ServiceUnavailable", HttpStatusCode.ServiceUnavailable, StoreErrorKind.Transient, "throttled by the store")]
    [InlineData("Throttling", HttpStatusCode.BadRequest, StoreErrorKind.Transient, "throttled by the store")]
    [InlineData("ThrottlingException", HttpStatusCode.BadRequest, StoreErrorKind.Transient, "throttled by the store")]
    [InlineData("TooManyRequests", HttpStatusCode.TooManyRequests, StoreErrorKind.Transient, "throttled by the store")]
    [InlineData("InternalError", HttpStatusCode.InternalServerError, StoreErrorKind.Transient, "")]
    [InlineData("RequestTimeout", HttpStatusCode.BadRequest, StoreErrorKind.Transient, "")]   // 400, yet retrying helps
    [InlineData("OperationAborted", HttpStatusCode.Conflict, StoreErrorKind.Transient, "")]
    [InlineData("PermanentRedirect", HttpStatusCode.MovedPermanently, StoreErrorKind.Other, "the bucket is in another region than the one configured")]
    [InlineData("AuthorizationHeaderMalformed", HttpStatusCode.BadRequest, StoreErrorKind.Other, "the bucket is in another region than the one configured")]
    [InlineData("IllegalLocationConstraintException", HttpStatusCode.BadRequest, StoreErrorKind.Other, "the bucket is in another region than the one configured")]
    [InlineData("InvalidObjectState", HttpStatusCode.Forbidden, StoreErrorKind.Unreadable, "the object is in an archive storage class and cannot be read without a restore")]
    [InlineData("RequestTimeTooSkewed", HttpStatusCode.Forbidden, StoreErrorKind.Other, "this machine's clock is too far from the store's")]
    public void Classify_KnownErrorCode_KindAndExplanation(string code, HttpStatusCode status, StoreErrorKind kind, string what) =>
        Assert.Equal((kind, what), S3Errors.Classify(code, status));

    [Theory]
    [InlineData(null, HttpStatusCode.InternalServerError, StoreErrorKind.Transient)]
    [InlineData(null, HttpStatusCode.BadGateway, StoreErrorKind.Transient)]
    [InlineData(null, HttpStatusCode.ServiceUnavailable, StoreErrorKind.Transient)]
    [InlineData(null, HttpStatusCode.TooManyRequests, StoreErrorKind.Transient)]
    [InlineData("SomethingNew", HttpStatusCode.GatewayTimeout, StoreErrorKind.Transient)]
    [InlineData(null, HttpStatusCode.Forbidden, StoreErrorKind.AccessDenied)]   // a HEAD's 403 has no body, so no code
    [InlineData("SomethingNew", HttpStatusCode.Forbidden, StoreErrorKind.AccessDenied)]
    [InlineData(null, HttpStatusCode.NotFound, StoreErrorKind.Other)]
    [InlineData(null, HttpStatusCode.BadRequest, StoreErrorKind.Other)]
    [InlineData("SomethingNew", HttpStatusCode.BadRequest, StoreErrorKind.Other)]
    public void Classify_UnknownOrMissingCode_FallsBackOnTheStatus(string? code, HttpStatusCode status, StoreErrorKind kind) =>
        Assert.Equal((kind, ""), S3Errors.Classify(code, status));

    [Fact]
    public void Classify_KnownCode_WinsOverTheStatus() =>
        Assert.Equal(StoreErrorKind.NoSuchBucket, S3Errors.Classify("NoSuchBucket", HttpStatusCode.InternalServerError).Kind);

    [Fact]
    public void Map_ServiceErrorWithExplanation_OneLineWithCodeAndStatus()
    {
        var error = new AmazonS3Exception("Access Denied") { ErrorCode = "AccessDenied", StatusCode = HttpStatusCode.Forbidden };

        PacketStoreException? mapped = Map("PUT", error);

        Assert.NotNull(mapped);
        Assert.Equal(StoreErrorKind.AccessDenied, mapped.Kind);
        Assert.Equal($"PUT {Target} failed: access denied by the bucket or IAM policy (AccessDenied, HTTP 403)", mapped.Message);
        Assert.Same(error, mapped.InnerException);
    }

    [Fact]
    public void Map_ServiceErrorWithoutExplanation_UsesTheStoresMessageScrubbed()
    {
        var error = new AmazonS3Exception("We encountered an internal error for secret-thing") { ErrorCode = "InternalError", StatusCode = HttpStatusCode.InternalServerError };

        PacketStoreException? mapped = S3Errors.Map("GET", Target, error, timedOut: false, TimeSpan.FromSeconds(30),
            scrub: m => m.Replace("secret-thing", "***", StringComparison.Ordinal));

        Assert.NotNull(mapped);
        Assert.True(mapped.IsTransient);
        Assert.Equal($"GET {Target} failed: We encountered an internal error for *** (InternalError, HTTP 500)", mapped.Message);
    }

    [Fact]
    public void Map_StatusWithoutCode_NamesTheStatusOnly()
    {
        var error = new AmazonS3Exception("Forbidden") { StatusCode = HttpStatusCode.Forbidden };

        PacketStoreException? mapped = Map("HEAD", error);

        Assert.NotNull(mapped);
        Assert.Equal(StoreErrorKind.AccessDenied, mapped.Kind);
        Assert.Equal($"HEAD {Target} failed: Forbidden (HTTP 403)", mapped.Message);
    }

    [Fact]
    public void Map_TimedOut_TransientSayingHowLongItWaited()
    {
        PacketStoreException? mapped = S3Errors.Map("LIST", Target, new TaskCanceledException(), timedOut: true, TimeSpan.FromSeconds(2.5), m => m);

        Assert.NotNull(mapped);
        Assert.Equal(StoreErrorKind.Transient, mapped.Kind);
        Assert.Equal($"LIST {Target} failed: no response within 2.5 s", mapped.Message);
    }

    [Fact]
    public void Map_ConnectionRefused_TransientWithHttpClientsMessage()
    {
        var error = new HttpRequestException("Connection refused ([fd00::1]:7480)", new SocketException((int)SocketError.ConnectionRefused));

        PacketStoreException? mapped = Map("PUT", new AmazonServiceException("wrapped", error));

        Assert.NotNull(mapped);
        Assert.Equal(StoreErrorKind.Transient, mapped.Kind);
        Assert.Equal($"PUT {Target} failed: Connection refused ([fd00::1]:7480)", mapped.Message);
    }

    [Fact]
    public void Map_NoCredentials_InvalidCredentialsNamingWhereTheyAreLookedFor()
    {
        PacketStoreException? mapped = Map("LIST", new AmazonClientException("Failed to resolve AWS credentials. The credential providers used ..."));

        Assert.NotNull(mapped);
        Assert.Equal(StoreErrorKind.InvalidCredentials, mapped.Kind);
        Assert.Equal($"LIST {Target} failed: no AWS credentials found (environment, shared profile, container or instance role)", mapped.Message);
    }

    [Fact]
    public void Map_CallersCancellationOrABug_NotAStoreFailure()
    {
        Assert.Null(Map("GET", new OperationCanceledException()));
        Assert.Null(Map("GET", new ArgumentException("bad key")));
        Assert.Null(Map("GET", new InvalidOperationException("bug")));
    }

    [Fact]
    public void Map_AnythingElse_OtherWithItsMessage()
    {
        PacketStoreException? mapped = Map("GET", new FormatException("odd response"));

        Assert.NotNull(mapped);
        Assert.Equal(StoreErrorKind.Other, mapped.Kind);
        Assert.Equal($"GET {Target} failed: odd response", mapped.Message);
    }

    private static PacketStoreException? Map(string operation, Exception error) =>
        S3Errors.Map(operation, Target, error, timedOut: false, TimeSpan.FromSeconds(30), m => m);
}
