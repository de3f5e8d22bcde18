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
/// A third difference needs no adaptation but narrows what RGW can show: its wildcard match does
/// not backtrack, so a '*' followed by '/' never spans a '/' there, as it does on AWS (pinned by
/// <see cref="RgwLimit_WildcardBeforeSlash_DoesNotSpanSlash"/>). No denial asserted here depends on
/// that: each refused key fails to match on AWS's terms too.
/// </para>
/// </summary>
[Trait("Category", "Integration")]
public sealed class NodePolicyEnforcementTests(StoreNetwork network)
{
    private const int MaxBytes = 1 << 20;
    private const string MachineIdA = "c05f7f48de53428f0123456789abcdef"; // fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f
    private const string MachineIdB = "00000000000000b0fedcba9876543210"; // fd5e:59b8:f71d:9a3e::b0, "::" in a policy

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
    /// looks at it (HEAD, and in its LIST), and ringing opens no other key. The doorbell resource
    /// names no address, so RGW enforces that statement verbatim (no ':' to adapt). Each denial here
    /// is one AWS gives too: none of the refused keys matches <c>{key_prefix}*/doorbell</c> even with
    /// a '*' that spans '/' (AWS's does; RGW's does not, see
    /// <see cref="RgwLimit_WildcardBeforeSlash_DoesNotSpanSlash"/>).
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
        IReadOnlyList<StoredObject> listed = [];
        await Expect(true, "B lists its inbox", async () => listed = await storeB.ListAsync(b + "/", 100, Ct));

        Assert.True(failures.Count == 0, $"{route}: {failures.Count} requests were not decided as the policy says:\n" + string.Join('\n', failures));
        Assert.Equal(RingFromA.Length, rungLength);
        Assert.Equal([$"{b}/doorbell"], listed.Select(o => o.Key)); // the doorbell, and none of the refused keys
    }

    /// <summary>
    /// Pins a difference in the other direction: RGW's wildcard match does not backtrack (a '*'
    /// ends at the first occurrence of the character after it), so <c>{key_prefix}*/doorbell</c>
    /// does not match <c>{key_prefix}{B}/{C}/doorbell</c> there, while on AWS '*' spans the '/' and
    /// the PUT is allowed (the README names that key as writable, and a bad key for the receiver).
    /// RGW therefore cannot show that widening; the other tests assert no denial that depends on it.
    /// </summary>
    [Fact]
    public async Task RgwLimit_WildcardBeforeSlash_DoesNotSpanSlash()
    {
        Setup s = await SetUpAsync(PolicyRoute.UserPolicy, bridgeDeleteObjects: true);
        using AmazonS3Client rawA = s.Client(s.A);
        string b = s.Rendered.Nodes["b"].Address;
        const string Third = "fd5e:59b8:f71d:9a3e::c0";

        Exception? ring = await Record.ExceptionAsync(() => rawA.PutObjectAsync(Put(s.Bucket, $"{s.KeyPrefix}{b}/doorbell", "ring"), Ct));
        Exception? spanning = await Record.ExceptionAsync(() => rawA.PutObjectAsync(Put(s.Bucket, $"{s.KeyPrefix}{b}/{Third}/doorbell", "ring"), Ct));

        Assert.True(ring is null, $"A could not ring B's doorbell, so the statement is not in force: {ring?.Message}");
        Assert.True(spanning is not null && IsAccessDenied(spanning),
            "RGW now lets '*' span a '/' (as AWS does): {key_prefix}*/doorbell matched {key_prefix}{B}/{C}/doorbell. Assert that PUT as "
            + $"allowed in RenderedPolicies_Doorbell_AnyNodeRingsOnlyTheOwnerLooks and drop this test. Got: {spanning?.Message ?? "success"}");
    }

    /// <summary>Pins the first adaptation: RGW refuses a resource that names an address.</summary>
    [Theory]
    [InlineData(PolicyRoute.UserPolicy)]
    [InlineData(PolicyRoute.BucketPolicy)]
    public async Task RgwLimit_ResourceNamingAnAddress_IsRefused(PolicyRoute route)
    {
        await network.EnsureStartedAsync(Ct);
        string bucket = await network.CreateBucketAsync(Ct);
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

    private async Task<Setup> SetUpAsync(PolicyRoute route, bool bridgeDeleteObjects)
    {
        await network.EnsureStartedAsync(Ct);
        string bucket = await network.CreateBucketAsync(Ct); // owned by the fixture's user; A and B have no rights of their own
        string keyPrefix = $"net-{Guid.NewGuid():n}"[..12] + "/";
        Task<RenderedNetwork> render = RenderAsync(bucket, keyPrefix);
        Task<RgwUser> userA = RgwIdentities.CreateUserAsync(network, "a", cancellationToken: Ct);
        Task<RgwUser> userB = RgwIdentities.CreateUserAsync(network, "b", cancellationToken: Ct);
        RenderedNetwork rendered = await render;
        RgwUser a = await userA, b = await userB;
        string bucketArn = $"arn:aws:s3:::{bucket}";
        JsonObject policyA = ForRgw(rendered.Nodes["a"].PolicyJson, bucketArn, bridgeDeleteObjects);
        JsonObject policyB = ForRgw(rendered.Nodes["b"].PolicyJson, bucketArn, bridgeDeleteObjects);

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

    private static void Note(List<string> failures, string? failure)
    {
        if (failure is not null)
        {
            failures.Add(failure);
        }
    }

    private static string Key(string destination, string source) => $"{destination}/{source}/{Ulid.NewUlid()}";

    private static byte[] Body(string text) => Encoding.UTF8.GetBytes(text);

    private static PutObjectRequest Put(string bucket, string key, string body) => new()
    {
        BucketName = bucket,
        Key = key,
        ContentBody = body,
        UseChunkEncoding = false,
    };

    private sealed record Setup(StoreNetwork Network, string Bucket, string KeyPrefix, RenderedNetwork Rendered, RgwUser A, RgwUser B)
    {
        public S3PacketStore Store(RgwUser user) => S3PacketStore.Create(Options(user, KeyPrefix));

        public AmazonS3Client Client(RgwUser user) => S3ClientFactory.CreateClient(Options(user, ""));

        private S3StoreOptions Options(RgwUser user, string keyPrefix) =>
            Network.CreateOptions(keyPrefix) with { Bucket = Bucket, AccessKey = user.AccessKey, SecretKey = user.SecretKey };
    }
}
