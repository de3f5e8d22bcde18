using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.S3;
using Hoshino.Store;

namespace Hoshino.IntegrationTests.Deploy;

/// <summary>How the rendered policies are put in force on RGW.</summary>
public enum PolicyRoute
{
    /// <summary>As the module does on AWS: each node's document attached to its user (<c>iam:PutUserPolicy</c>).</summary>
    UserPolicy,

    /// <summary>The same statements in the bucket's policy, each with the node's user as principal.</summary>
    BucketPolicy,
}

/// <summary>
/// The policies <c>modules/node-policy</c> renders, enforced for real by Ceph RGW: two RGW users
/// stand for nodes A and B and make hoshino's own requests (through <see cref="S3PacketStore"/>,
/// as the daemon does) and a few a hostile node would try.
/// <para>
/// Ceph 16 cannot take the documents verbatim, so <see cref="ForRgw"/> adapts them in two ways,
/// each pinned by a test below that fails once RGW no longer needs it: a resource naming an
/// address is rejected (RGW's ARN parser allows no ':' in the resource), so each ':' there becomes
/// '?', IAM's one-character wildcard; and DeleteObjects is first authorised against the bucket ARN
/// (then per key, as AWS does), so s3:DeleteObject is also granted on the bucket ARN. Both only
/// widen what a policy allows: every denial seen here would also happen on AWS with the exact
/// documents, and every allowance names the node's exact own keys, which the exact documents allow.
/// </para>
/// <para>
/// RGW's wildcard match does not backtrack (a '*' followed by '/' never spans a '/' there, as it
/// does on AWS), which does not matter here: the policies name every node exactly and have a '*'
/// only at the end of a resource, where both match alike.
/// </para>
/// <para>
/// Two of the policies' Deny statements cannot be shown on Ceph 16, which does not put
/// <c>s3:x-amz-storage-class</c> or <c>s3:x-amz-server-side-encryption-customer-algorithm</c> into
/// a request's context: a PUT with another storage class or with SSE-C is refused there by RGW
/// itself (it knows only STANDARD, and takes SSE-C only over TLS), pinned by
/// <see cref="RgwLimit_StorageClassAndCustomerKey_RefusedByRgwNotByThePolicy"/>. The other two
/// (server-side encryption other than SSE-S3, and copying) are enforced by the policy on RGW.
/// </para>
/// </summary>
[Trait("Category", "Integration")]
public sealed class NodePolicyEnforcementTests(StoreNetwork network)
{
    private const int MaxBytes = 1 << 20;
    private const string MachineIdA = "c05f7f48de53428f0123456789abcdef"; // fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f
    private const string MachineIdB = "00000000000000b0fedcba9876543210"; // fd5e:59b8:f71d:9a3e::b0, "::" in a policy
    private const string NotANode = "fd5e:59b8:f71d:9a3e::c0"; // in the network's prefix, but not one of its nodes

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(PolicyRoute.UserPolicy)]
    [InlineData(PolicyRoute.BucketPolicy)]
    public async Task RenderedPolicies_TwoNodesOnRgw_EachConfinedToItsNameAndInbox(PolicyRoute route)
    {
        Setup s = await SetUpAsync(route, bridgeDeleteObjects: true);
        using S3PacketStore storeA = s.Store(s.A), storeB = s.Store(s.B);
        using AmazonS3Client rawA = s.Client(s.A);
        string a = s.Rendered.Nodes["a"].Address, b = s.Rendered.Nodes["b"].Address;
        string fromAToB = Key(b, a), fromBToB = Key(b, b);
        var failures = new List<string>();
        async Task Expect(bool allowed, string what, Func<Task> request) => Note(failures, await OutcomeAsync(allowed, what, request));

        // What hoshino does, and what a node must not do.
        await Expect(true, "A probes its own inbox (start-up: LIST MaxKeys=1)", () => storeA.ProbeAsync(a + "/", Ct));
        await Expect(true, "A sends to B as A", () => storeA.PutAsync(fromAToB, Body("from A"), Ct));
        await Expect(true, "B sends to itself as B", () => storeB.PutAsync(fromBToB, Body("from B"), Ct));
        await Expect(false, "A sends to B as B (spoofing B)", () => storeA.PutAsync(Key(b, b), Body("spoof"), Ct));
        await Expect(false, "A puts into its own inbox as B", () => storeA.PutAsync(Key(a, b), Body("spoof"), Ct));
        await Expect(false, "A puts outside the key prefix", () => rawA.PutObjectAsync(Put(s.Bucket, Key(b, a), "x"), Ct));
        await Expect(false, "A puts into a non-node's inbox as A", () => storeA.PutAsync(Key(NotANode, a), Body("junk"), Ct));
        await Expect(false, "A puts into a made-up first segment as A", () => storeA.PutAsync(Key("anything", a), Body("junk"), Ct));
        await Expect(false, "A lists B's inbox", () => storeA.ListAsync(b + "/", 100, Ct));
        await Expect(false, "A probes B's inbox", () => storeA.ProbeAsync(b + "/", Ct));
        await Expect(false, "A lists the whole bucket", () => rawA.ListObjectsV2Async(new() { BucketName = s.Bucket }, Ct));
        await Expect(false, "A lists the key prefix", () => rawA.ListObjectsV2Async(new() { BucketName = s.Bucket, Prefix = s.KeyPrefix }, Ct));
        await Expect(false, "A lists its inbox without the trailing '/'", () => rawA.ListObjectsV2Async(
            new() { BucketName = s.Bucket, Prefix = s.KeyPrefix + a }, Ct));
        await Expect(false, "A reads B's inbox (a bundle B wrote)", () => storeA.GetAsync(fromBToB, MaxBytes, Ct));
        await Expect(false, "A deletes in B's inbox (DeleteObjects)", () => storeA.DeleteAsync([fromBToB], Ct));
        await Expect(false, "A deletes in B's inbox (DeleteObject)", () => rawA.DeleteObjectAsync(s.Bucket, s.KeyPrefix + fromBToB, Ct));
        await Expect(false, "B lists A's inbox", () => storeB.ListAsync(a + "/", 100, Ct));
        await Expect(true, "B probes its own inbox", () => storeB.ProbeAsync(b + "/", Ct));
        IReadOnlyList<StoredObject> listed = [];
        await Expect(true, "B lists its own inbox", async () => listed = await storeB.ListAsync(b + "/", 100, Ct));
        byte[]? fromA = null, fromB = null;
        await Expect(true, "B reads A's bundle", async () => fromA = await storeB.GetAsync(fromAToB, MaxBytes, Ct));
        await Expect(true, "B reads its own bundle", async () => fromB = await storeB.GetAsync(fromBToB, MaxBytes, Ct));
        await Expect(true, "B deletes both (DeleteObjects)", () => storeB.DeleteAsync([fromAToB, fromBToB], Ct));
        IReadOnlyList<StoredObject> after = [];
        await Expect(true, "B lists its inbox again", async () => after = await storeB.ListAsync(b + "/", 100, Ct));

        Assert.True(failures.Count == 0, $"{route}: {failures.Count} requests were not decided as the policy says:\n" + string.Join('\n', failures));
        Assert.Equal(new[] { fromAToB, fromBToB }.Order(StringComparer.Ordinal), listed.Select(o => o.Key));
        Assert.Equal("from A", Encoding.UTF8.GetString(fromA!));
        Assert.Equal("from B", Encoding.UTF8.GetString(fromB!));
        Assert.Empty(after);
    }

    /// <summary>
    /// The doorbell, <c>{key_prefix}{dest}/doorbell</c>: any node may ring any node's, only the owner
    /// looks at it (HEAD, and in its LIST), and ringing opens no other key: no doorbell of a
    /// non-node, none deeper in an inbox. Each refused key matches none of the exact doorbell keys
    /// on AWS either (with '?' standing for ':' on RGW, a refused key would have to differ from a
    /// doorbell key only where the address has a ':').
    /// </summary>
    [Theory]
    [InlineData(PolicyRoute.UserPolicy)]
    [InlineData(PolicyRoute.BucketPolicy)]
    public async Task RenderedPolicies_Doorbell_AnyNodeRingsOnlyTheOwnerLooks(PolicyRoute route)
    {
        Setup s = await SetUpAsync(route, bridgeDeleteObjects: true);
        using S3PacketStore storeB = s.Store(s.B);
        using AmazonS3Client rawA = s.Client(s.A), rawB = s.Client(s.B);
        string a = s.Rendered.Nodes["a"].Address, b = s.Rendered.Nodes["b"].Address;
        string doorbellA = $"{s.KeyPrefix}{a}/doorbell", doorbellB = $"{s.KeyPrefix}{b}/doorbell";
        const string RingFromA = "ring from A", RingFromB = "ring"; // different lengths: the HEAD shows whose ring it sees
        var failures = new List<string>();
        async Task Expect(bool allowed, string what, Func<Task> request) => Note(failures, await OutcomeAsync(allowed, what, request));

        // As on AWS: without an unconditional s3:ListBucket (ListOwnInbox needs s3:prefix, which a
        // HEAD does not carry) a missing key is answered 403, not 404. So a node's HEAD of its own
        // doorbell is refused until someone rings, and again once the lifecycle rule expires it.
        HttpStatusCode unrung = await HeadStatusAsync(rawB, s.Bucket, doorbellB);
        if (unrung != HttpStatusCode.Forbidden)
        {
            failures.Add($"B HEADs its own doorbell before any ring: HTTP {(int)unrung}, expected 403 as on AWS (a missing key without s3:ListBucket)");
        }
        // B rings first, so that A's reads below are of an object A did not write: RGW 16 has no
        // BucketOwnerEnforced, and there the writer of an object may read it back.
        await Expect(true, "B rings its own doorbell", () => rawB.PutObjectAsync(Put(s.Bucket, doorbellB, RingFromB), Ct));
        await Expect(false, "A HEADs B's doorbell", () => rawA.GetObjectMetadataAsync(s.Bucket, doorbellB, Ct));
        await Expect(false, "A GETs B's doorbell", async () =>
        {
            using GetObjectResponse response = await rawA.GetObjectAsync(s.Bucket, doorbellB, Ct);
        });
        await Expect(false, "A deletes B's doorbell", () => rawA.DeleteObjectAsync(s.Bucket, doorbellB, Ct));
        await Expect(false, "A lists B's inbox (to see its doorbell)", () => rawA.ListObjectsV2Async(
            new() { BucketName = s.Bucket, Prefix = $"{s.KeyPrefix}{b}/" }, Ct));
        await Expect(true, "A rings B's doorbell", () => rawA.PutObjectAsync(Put(s.Bucket, doorbellB, RingFromA), Ct));
        await Expect(true, "B rings A's doorbell", () => rawB.PutObjectAsync(Put(s.Bucket, doorbellA, RingFromB), Ct));
        long? rungLength = null;
        await Expect(true, "B HEADs its doorbell", async () => rungLength = (await rawB.GetObjectMetadataAsync(s.Bucket, doorbellB, Ct)).ContentLength);
        await Expect(false, "A puts {B}/{B}/x (spoofing B)", () => rawA.PutObjectAsync(Put(s.Bucket, $"{s.KeyPrefix}{b}/{b}/x", "spoof"), Ct));
        await Expect(false, "A puts {B}/{B}/{ULID} (spoofing B)", () => rawA.PutObjectAsync(Put(s.Bucket, s.KeyPrefix + Key(b, b), "spoof"), Ct));
        await Expect(false, "A puts {B}/anything-else", () => rawA.PutObjectAsync(Put(s.Bucket, $"{s.KeyPrefix}{b}/anything-else", "x"), Ct));
        await Expect(false, "A puts {B}/doorbellx", () => rawA.PutObjectAsync(Put(s.Bucket, $"{doorbellB}x", "x"), Ct));
        await Expect(false, "A puts {B}/doorbell/x", () => rawA.PutObjectAsync(Put(s.Bucket, $"{doorbellB}/x", "x"), Ct));
        await Expect(false, "A rings B outside the key prefix", () => rawA.PutObjectAsync(Put(s.Bucket, $"{b}/doorbell", RingFromA), Ct));
        await Expect(false, "A rings a non-node's doorbell", () => rawA.PutObjectAsync(Put(s.Bucket, $"{s.KeyPrefix}{NotANode}/doorbell", "x"), Ct));
        await Expect(false, "A puts {anything}/doorbell", () => rawA.PutObjectAsync(Put(s.Bucket, $"{s.KeyPrefix}anything/doorbell", "x"), Ct));
        await Expect(false, "A puts {x}/\\x01/doorbell", () => rawA.PutObjectAsync(Put(s.Bucket, $"{s.KeyPrefix}x/\u0001/doorbell", "x"), Ct));
        await Expect(false, "A puts {B}/{C}/doorbell (a doorbell deeper in B's inbox)", () => rawA.PutObjectAsync(
            Put(s.Bucket, $"{s.KeyPrefix}{b}/{NotANode}/doorbell", "x"), Ct));
        await Expect(false, "A puts {B}/{B}/doorbell (a doorbell under B's name)", () => rawA.PutObjectAsync(
            Put(s.Bucket, $"{s.KeyPrefix}{b}/{b}/doorbell", "x"), Ct));
        IReadOnlyList<StoredObject> listed = [];
        await Expect(true, "B lists its inbox", async () => listed = await storeB.ListAsync(b + "/", 100, Ct));

        Assert.True(failures.Count == 0, $"{route}: {failures.Count} requests were not decided as the policy says:\n" + string.Join('\n', failures));
        Assert.Equal(RingFromA.Length, rungLength);
        Assert.Equal([$"{b}/doorbell"], listed.Select(o => o.Key)); // the doorbell, and none of the refused keys
    }

    /// <summary>
    /// What a PUT may ask for besides its key and body: only what hoshino sends, which is none of
    /// these headers. The Deny statements stop another storage class (unreadable until restored, or
    /// billed minimum durations), server-side encryption other than the bucket's SSE-S3 (KMS costs,
    /// keys the receiver may not use), customer-provided keys (SSE-C: unreadable for the receiver)
    /// and server-side copies into an inbox (objects the node never uploads).
    /// </summary>
    [Theory]
    [InlineData(PolicyRoute.UserPolicy)]
    [InlineData(PolicyRoute.BucketPolicy)]
    public async Task RenderedPolicies_PutHeaders_OnlyWhatHoshinoSends(PolicyRoute route)
    {
        Setup s = await SetUpAsync(route, bridgeDeleteObjects: true);
        using S3PacketStore storeA = s.Store(s.A), storeB = s.Store(s.B);
        using AmazonS3Client rawA = s.Client(s.A);
        string a = s.Rendered.Nodes["a"].Address, b = s.Rendered.Nodes["b"].Address;
        string plain = Key(b, a), standard = Key(b, a), ownCopySource = Key(a, a);
        var failures = new List<string>();
        async Task Expect(bool allowed, string what, Func<Task> request) => Note(failures, await OutcomeAsync(allowed, what, request));
        async Task ExpectRefused(string what, Func<Task> request, params string[] rgwOwnErrors) =>
            Note(failures, await RefusalAsync(what, request, rgwOwnErrors));

        await Expect(true, "A sends to B as A, no headers (as hoshino does)", () => storeA.PutAsync(plain, Body("plain"), Ct));
        await Expect(true, "A sends to B as A with storage class STANDARD", () => rawA.PutObjectAsync(
            Put(s.Bucket, s.KeyPrefix + standard, "standard", r => r.StorageClass = S3StorageClass.Standard), Ct));
        await Expect(true, "A writes into its own inbox as A (a copy source A may read)", () => storeA.PutAsync(ownCopySource, Body("mine"), Ct));
        // RGW 16 cannot show these two Deny statements (see the pin below): it refuses the requests itself.
        await ExpectRefused("A sends to B with storage class DEEP_ARCHIVE", () => rawA.PutObjectAsync(
            Put(s.Bucket, s.KeyPrefix + Key(b, a), "cold", r => r.StorageClass = S3StorageClass.DeepArchive), Ct), RgwInvalidStorageClass);
        await ExpectRefused("A sends to B with storage class GLACIER", () => rawA.PutObjectAsync(
            Put(s.Bucket, s.KeyPrefix + Key(b, a), "cold", r => r.StorageClass = S3StorageClass.Glacier), Ct), RgwInvalidStorageClass);
        await ExpectRefused("A sends to B with SSE-C", () => rawA.PutObjectAsync(
            Put(s.Bucket, s.KeyPrefix + Key(b, a), "sealed", WithCustomerKey), Ct), RgwSseCWithoutTls);
        // These the policy denies on RGW too: without the Deny statements RGW answers both with 400
        // InvalidRequest (no SSE over plain HTTP), so the 403 expected here is the policy's.
        await Expect(false, "A sends to B with SSE-KMS", () => rawA.PutObjectAsync(
            Put(s.Bucket, s.KeyPrefix + Key(b, a), "kms", r => r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS), Ct));
        await Expect(false, "A sends to B with DSSE-KMS", () => rawA.PutObjectAsync(
            Put(s.Bucket, s.KeyPrefix + Key(b, a), "dsse", r => r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMSDSSE), Ct));
        // As it does copying (which RGW allows without the Deny).
        await Expect(false, "A copies its own object into B's inbox as A (CopyObject)", () => rawA.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = s.Bucket,
            SourceKey = s.KeyPrefix + ownCopySource,
            DestinationBucket = s.Bucket,
            DestinationKey = s.KeyPrefix + Key(b, a),
        }, Ct));
        IReadOnlyList<StoredObject> listed = [];
        await Expect(true, "B lists its inbox", async () => listed = await storeB.ListAsync(b + "/", 100, Ct));

        Assert.True(failures.Count == 0, $"{route}: {failures.Count} requests were not decided as the policy says:\n" + string.Join('\n', failures));
        Assert.Equal(new[] { plain, standard }.Order(StringComparer.Ordinal), listed.Select(o => o.Key)); // nothing refused was stored
    }

    /// <summary>
    /// Pins why two refusals in <see cref="RenderedPolicies_PutHeaders_OnlyWhatHoshinoSends"/> hold on
    /// RGW: not by the policy (Ceph 16 puts neither <c>s3:x-amz-storage-class</c> nor
    /// <c>s3:x-amz-server-side-encryption-customer-algorithm</c> into the request's context, so those
    /// Deny statements never match there), but by RGW itself, which knows no storage class but
    /// STANDARD and refuses SSE-C without TLS (<c>rgw_crypt_require_ssl</c>). A request the policy
    /// denied would be answered 403 before RGW looked at the class or the key. On AWS the Deny
    /// statements decide (every request there is TLS: the bucket policy denies the rest).
    /// </summary>
    [Fact]
    public async Task RgwLimit_StorageClassAndCustomerKey_RefusedByRgwNotByThePolicy()
    {
        Setup s = await SetUpAsync(PolicyRoute.UserPolicy, bridgeDeleteObjects: true);
        using AmazonS3Client rawA = s.Client(s.A);
        string a = s.Rendered.Nodes["a"].Address, b = s.Rendered.Nodes["b"].Address;

        Exception? allowed = await Record.ExceptionAsync(() => rawA.PutObjectAsync(Put(s.Bucket, s.KeyPrefix + Key(b, a), "x"), Ct));
        var cold = await Record.ExceptionAsync(() => rawA.PutObjectAsync(
            Put(s.Bucket, s.KeyPrefix + Key(b, a), "cold", r => r.StorageClass = S3StorageClass.DeepArchive), Ct)) as AmazonS3Exception;
        var sealedByA = await Record.ExceptionAsync(() => rawA.PutObjectAsync(
            Put(s.Bucket, s.KeyPrefix + Key(b, a), "sealed", WithCustomerKey), Ct)) as AmazonS3Exception;

        Assert.True(allowed is null, $"A could not send to B at all, so the policy is not in force: {allowed?.Message}");
        Assert.True(cold is { StatusCode: HttpStatusCode.BadRequest, ErrorCode: RgwInvalidStorageClass },
            "RGW no longer refuses DEEP_ARCHIVE itself with 400 InvalidArgument"
            + (cold is { StatusCode: HttpStatusCode.Forbidden } ? " but with 403: it now evaluates s3:x-amz-storage-class, so the policy decides; say so in the class comment and the README" : "")
            + $". Got: {Describe(cold)}");
        Assert.True(sealedByA is { StatusCode: HttpStatusCode.BadRequest, ErrorCode: RgwSseCWithoutTls },
            "RGW no longer refuses SSE-C over plain HTTP itself with 400 InvalidRequest"
            + (sealedByA is { StatusCode: HttpStatusCode.Forbidden } ? " but with 403: it now evaluates s3:x-amz-server-side-encryption-customer-algorithm, so the policy decides; say so in the class comment and the README" : "")
            + $". Got: {Describe(sealedByA)}");
    }

    /// <summary>
    /// Pins why the Deny statements test for a header with <c>StringLike "*"</c> rather than the
    /// usual <c>Null = false</c> (the same on AWS): Ceph 16 evaluates a Null condition as "the key
    /// is absent", whatever its value, so <c>Null = false</c> matches every request without the
    /// header, and a Deny written that way refuses every PUT hoshino makes.
    /// </summary>
    [Fact]
    public async Task RgwLimit_NullFalseCondition_MatchesAnAbsentKey()
    {
        Setup s = await SetUpAsync(PolicyRoute.UserPolicy, bridgeDeleteObjects: true, alterA: policy =>
        {
            JsonObject denyCopy = policy["Statement"]!.AsArray().Single(st => (string)st!["Sid"]! == "DenyCopy")!.AsObject();
            denyCopy["Condition"] = new JsonObject { ["Null"] = new JsonObject { ["s3:x-amz-copy-source"] = "false" } };
        });
        using S3PacketStore storeA = s.Store(s.A), storeB = s.Store(s.B);
        string a = s.Rendered.Nodes["a"].Address, b = s.Rendered.Nodes["b"].Address;

        Exception? asRendered = await Record.ExceptionAsync(() => storeB.PutAsync(Key(a, b), Body("x"), Ct));
        Exception? withNull = await Record.ExceptionAsync(() => storeA.PutAsync(Key(b, a), Body("x"), Ct));

        Assert.True(asRendered is null, $"B could not send to A with the rendered policy: {asRendered?.Message}");
        Assert.True(withNull is not null && IsAccessDenied(withNull),
            "RGW now evaluates Null = false as AWS does (a plain PUT is not denied by a Deny on \"s3:x-amz-copy-source is present\"): "
            + $"the policies could use Null again. Got: {withNull?.Message ?? "success"}");
    }

    /// <summary>Pins the first adaptation: RGW refuses a resource that names an address.</summary>
    [Theory]
    [InlineData(PolicyRoute.UserPolicy)]
    [InlineData(PolicyRoute.BucketPolicy)]
    public async Task RgwLimit_ResourceNamingAnAddress_IsRefused(PolicyRoute route)
    {
        await network.EnsureStartedAsync(Ct);
        string bucket = await network.CreateBucketAsync(cancellationToken: Ct);
        RenderedNetwork rendered = await RenderAsync(bucket, "net/");
        RgwUser a = await RgwIdentities.CreateUserAsync(network, "a", cancellationToken: Ct);
        JsonObject verbatim = JsonNode.Parse(rendered.Nodes["a"].PolicyJson)!.AsObject();

        JsonObject adapted = ForRgw(verbatim.ToJsonString(), $"arn:aws:s3:::{bucket}", bridgeDeleteObjects: false);

        HttpStatusCode refused, accepted;
        if (route == PolicyRoute.UserPolicy)
        {
            RgwUser admin = await RgwIdentities.CreateUserAsync(network, "admin", "user-policy=*", Ct);
            (refused, _) = await RgwIdentities.PutUserPolicyAsync(network.Endpoint, admin, a.Uid, "hoshino-node", verbatim.ToJsonString(), Ct);
            (accepted, _) = await RgwIdentities.PutUserPolicyAsync(network.Endpoint, admin, a.Uid, "hoshino-node", adapted.ToJsonString(), Ct);
        }
        else
        {
            using AmazonS3Client owner = network.CreateClient();
            refused = await PutBucketPolicyStatusAsync(owner, bucket, WithPrincipals([(a, verbatim)]));
            accepted = await PutBucketPolicyStatusAsync(owner, bucket, WithPrincipals([(a, adapted)]));
        }

        Assert.True(refused == HttpStatusCode.BadRequest,
            $"RGW answered {(int)refused} to a policy whose resources contain ':' (expected 400). If RGW now accepts them, "
            + "drop the ':' -> '?' adaptation in NodePolicyEnforcementTests.ForRgw and test the documents verbatim.");
        Assert.Equal(HttpStatusCode.OK, accepted); // the same document with '?' for ':': the colons were the only problem
    }

    /// <summary>Pins the second adaptation: without a grant on the bucket ARN, RGW refuses DeleteObjects that AWS allows per key.</summary>
    [Fact]
    public async Task RgwLimit_DeleteObjectsWithPerKeyGrantOnly_IsRefused()
    {
        Setup s = await SetUpAsync(PolicyRoute.UserPolicy, bridgeDeleteObjects: false);
        using S3PacketStore storeB = s.Store(s.B);
        using AmazonS3Client rawB = s.Client(s.B);
        string b = s.Rendered.Nodes["b"].Address;
        string first = Key(b, b), second = Key(b, b);
        await storeB.PutAsync(first, Body("1"), Ct);
        await storeB.PutAsync(second, Body("2"), Ct);

        PacketStoreException? multi = await Record.ExceptionAsync(() => storeB.DeleteAsync([first], Ct)) as PacketStoreException;
        await rawB.DeleteObjectAsync(s.Bucket, s.KeyPrefix + second, Ct); // the same grant suffices for a single delete

        Assert.True(multi is { Kind: StoreErrorKind.AccessDenied },
            "RGW now allows DeleteObjects on s3:DeleteObject per key alone (as AWS does): drop the bucket-ARN grant in "
            + $"NodePolicyEnforcementTests.ForRgw. Got: {multi?.Message ?? "success"}");
        Assert.Equal([first], (await storeB.ListAsync(b + "/", 10, Ct)).Select(o => o.Key));
    }

    /// <summary>
    /// The node's document as RGW (Ceph 16) can enforce it: ':' in resources becomes '?', and with
    /// <paramref name="bridgeDeleteObjects"/> s3:DeleteObject is also granted on the bucket ARN
    /// (RGW checks DeleteObjects against the bucket first, then each key against the policy).
    /// Actions, conditions and everything else stay as rendered.
    /// </summary>
    private static JsonObject ForRgw(string policyJson, string bucketArn, bool bridgeDeleteObjects)
    {
        JsonObject policy = JsonNode.Parse(policyJson)!.AsObject();
        JsonArray statements = policy["Statement"]!.AsArray();
        foreach (JsonNode? statement in statements)
        {
            JsonArray resources = statement!["Resource"]!.AsArray();
            for (int i = 0; i < resources.Count; i++)
            {
                string arn = (string)resources[i]!;
                const string S3 = "arn:aws:s3:::";
                Assert.StartsWith(S3, arn, StringComparison.Ordinal);
                resources[i] = S3 + arn[S3.Length..].Replace(':', '?');
            }
        }
        if (bridgeDeleteObjects)
        {
            statements.Add(new JsonObject
            {
                ["Sid"] = "RgwDeleteObjectsBucketCheck",
                ["Effect"] = "Allow",
                ["Action"] = new JsonArray("s3:DeleteObject"),
                ["Resource"] = new JsonArray(bucketArn),
            });
        }
        return policy;
    }

    /// <summary>One bucket policy holding each node's statements with the node's user as principal.</summary>
    private static JsonObject WithPrincipals(IEnumerable<(RgwUser User, JsonObject Policy)> nodes)
    {
        var statements = new JsonArray();
        foreach ((RgwUser user, JsonObject policy) in nodes)
        {
            foreach (JsonNode? statement in policy["Statement"]!.AsArray())
            {
                JsonObject copy = statement!.DeepClone().AsObject();
                copy["Sid"] = $"{(string)copy["Sid"]!}{user.Uid.Replace("-", "", StringComparison.Ordinal)}";
                copy["Principal"] = new JsonObject { ["AWS"] = new JsonArray(user.PrincipalArn) };
                statements.Add(copy);
            }
        }
        return new JsonObject { ["Version"] = "2012-10-17", ["Statement"] = statements };
    }

    /// <summary>
    /// A bucket, the rendered documents of nodes A and B adapted by <see cref="ForRgw"/> (and A's by
    /// <paramref name="alterA"/>, for the pins of RGW's limits), in force by <paramref name="route"/>.
    /// </summary>
    private async Task<Setup> SetUpAsync(PolicyRoute route, bool bridgeDeleteObjects, Action<JsonObject>? alterA = null)
    {
        await network.EnsureStartedAsync(Ct);
        string bucket = await network.CreateBucketAsync(cancellationToken: Ct); // owned by the fixture's user; A and B have no rights of their own
        string keyPrefix = $"net-{Guid.NewGuid():n}"[..12] + "/";
        Task<RenderedNetwork> render = RenderAsync(bucket, keyPrefix);
        Task<RgwUser> userA = RgwIdentities.CreateUserAsync(network, "a", cancellationToken: Ct);
        Task<RgwUser> userB = RgwIdentities.CreateUserAsync(network, "b", cancellationToken: Ct);
        RenderedNetwork rendered = await render;
        RgwUser a = await userA, b = await userB;
        string bucketArn = $"arn:aws:s3:::{bucket}";
        JsonObject policyA = ForRgw(rendered.Nodes["a"].PolicyJson, bucketArn, bridgeDeleteObjects);
        JsonObject policyB = ForRgw(rendered.Nodes["b"].PolicyJson, bucketArn, bridgeDeleteObjects);
        alterA?.Invoke(policyA);

        if (route == PolicyRoute.UserPolicy)
        {
            RgwUser admin = await RgwIdentities.CreateUserAsync(network, "admin", "user-policy=*", Ct);
            foreach ((RgwUser user, JsonObject policy) in new[] { (a, policyA), (b, policyB) })
            {
                (HttpStatusCode status, string body) = await RgwIdentities.PutUserPolicyAsync(network.Endpoint, admin, user.Uid, "hoshino-node", policy.ToJsonString(), Ct);
                Assert.True(status == HttpStatusCode.OK, $"PutUserPolicy for {user.Uid}: HTTP {(int)status} {body}\n{policy}");
            }
        }
        else
        {
            using AmazonS3Client owner = network.CreateClient();
            await owner.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = WithPrincipals([(a, policyA), (b, policyB)]).ToJsonString() }, Ct);
        }
        return new Setup(network, bucket, keyPrefix, rendered, a, b);
    }

    private static async Task<RenderedNetwork> RenderAsync(string bucket, string keyPrefix)
    {
        using TerraformWorkspace workspace = TerraformWorkspace.Create();
        IReadOnlyDictionary<string, RenderedNetwork> rendered = await NodePolicyRender.RenderAsync(workspace,
            new Dictionary<string, NetworkInput>
            {
                ["net"] = new(bucket, keyPrefix, AddressCases.DefaultPrefix, new Dictionary<string, NodeInput>
                {
                    ["a"] = new(MachineId: MachineIdA),
                    ["b"] = new(MachineId: MachineIdB),
                }),
            });
        return rendered["net"];
    }

    /// <summary>OK when RGW took the bucket policy, else the status it refused it with.</summary>
    private static async Task<HttpStatusCode> PutBucketPolicyStatusAsync(AmazonS3Client owner, string bucket, JsonObject policy)
    {
        try
        {
            await owner.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = policy.ToJsonString() }, Ct);
            return HttpStatusCode.OK;
        }
        catch (AmazonS3Exception ex)
        {
            return ex.StatusCode;
        }
    }

    /// <summary>The status of a HEAD: OK when the object is there, else what the server answered.</summary>
    private static async Task<HttpStatusCode> HeadStatusAsync(AmazonS3Client client, string bucket, string key)
    {
        try
        {
            await client.GetObjectMetadataAsync(bucket, key, Ct);
            return HttpStatusCode.OK;
        }
        catch (AmazonS3Exception ex)
        {
            return ex.StatusCode;
        }
    }

    /// <summary>null if the request was decided as expected, else what happened.</summary>
    private static async Task<string?> OutcomeAsync(bool allowed, string what, Func<Task> request)
    {
        try
        {
            await request();
            return allowed ? null : $"{what}: allowed, expected AccessDenied";
        }
        catch (Exception ex) when (IsAccessDenied(ex))
        {
            return allowed ? $"{what}: denied, expected allowed ({ex.Message})" : null;
        }
        catch (Exception ex) when (ex is PacketStoreException or AmazonS3Exception)
        {
            return $"{what}: failed with {ex.GetType().Name}: {ex.Message}";
        }
    }

    /// <summary>
    /// A 403, or a DeleteObjects whose every key came back AccessDenied (S3 answers that one with 200
    /// and per-key errors; S3PacketStore must classify it as AccessDenied, not as a retryable error).
    /// </summary>
    private static bool IsAccessDenied(Exception ex) => ex switch
    {
        PacketStoreException { Kind: StoreErrorKind.AccessDenied } => true,
        AmazonS3Exception { StatusCode: HttpStatusCode.Forbidden } => true,
        _ => false,
    };

    /// <summary>
    /// null if the request was refused with AccessDenied, or by RGW itself with one of
    /// <paramref name="rgwOwnErrors"/> (each pinned by a test); else what happened.
    /// </summary>
    private static async Task<string?> RefusalAsync(string what, Func<Task> request, string[] rgwOwnErrors)
    {
        try
        {
            await request();
            return $"{what}: allowed, expected a refusal";
        }
        catch (Exception ex) when (IsAccessDenied(ex) || ex is AmazonS3Exception { ErrorCode: not null } s3 && rgwOwnErrors.Contains(s3.ErrorCode))
        {
            return null;
        }
        catch (AmazonS3Exception ex)
        {
            return $"{what}: failed with {Describe(ex)}, expected AccessDenied or {string.Join(" or ", rgwOwnErrors)}";
        }
    }

    private const string RgwInvalidStorageClass = "InvalidArgument"; // RGW 16: 400 InvalidArgument, "The storage class you specified is not valid"
    private const string RgwSseCWithoutTls = "InvalidRequest";

    private static string Describe(AmazonS3Exception? ex) =>
        ex is null ? "success" : $"HTTP {(int)ex.StatusCode} {ex.ErrorCode}: {ex.Message}";

    /// <summary>SSE-C headers with a random key: the algorithm, the key and its MD5 (the SDK adds the MD5).</summary>
    private static void WithCustomerKey(PutObjectRequest request)
    {
        request.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
        request.ServerSideEncryptionCustomerProvidedKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    }

    private static void Note(List<string> failures, string? failure)
    {
        if (failure is not null)
        {
            failures.Add(failure);
        }
    }

    private static string Key(string destination, string source) => $"{destination}/{source}/{Ulid.NewUlid()}";

    private static byte[] Body(string text) => Encoding.UTF8.GetBytes(text);

    private static PutObjectRequest Put(string bucket, string key, string body, Action<PutObjectRequest>? configure = null)
    {
        var request = new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            ContentBody = body,
            UseChunkEncoding = false,
        };
        configure?.Invoke(request);
        return request;
    }

    private sealed record Setup(StoreNetwork Network, string Bucket, string KeyPrefix, RenderedNetwork Rendered, RgwUser A, RgwUser B)
    {
        public S3PacketStore Store(RgwUser user) => S3PacketStore.Create(Options(user, KeyPrefix));

        public AmazonS3Client Client(RgwUser user) => S3ClientFactory.CreateClient(Options(user, ""));

        private S3StoreOptions Options(RgwUser user, string keyPrefix) =>
            Network.CreateOptions(keyPrefix) with { Bucket = Bucket, AccessKey = user.AccessKey, SecretKey = user.SecretKey };
    }
}
