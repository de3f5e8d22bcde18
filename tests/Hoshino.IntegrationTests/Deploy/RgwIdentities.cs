using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Hoshino.IntegrationTests.Infrastructure;

namespace Hoshino.IntegrationTests.Deploy;

/// <summary>An RGW user: its uid (for policy principals) and S3 credentials.</summary>
internal sealed record RgwUser(string Uid, string AccessKey, string SecretKey)
{
    /// <summary>How an RGW bucket policy names this user.</summary>
    public string PrincipalArn => $"arn:aws:iam:::user/{Uid}";
}

/// <summary>
/// Users and identity policies on the test run's Ceph RGW, for the policy enforcement tests.
/// <see cref="StoreNetwork.CreateUserAsync"/> returns credentials only, and a policy principal
/// needs the uid, so users are made here with <c>radosgw-admin</c> inside the server namespace (the
/// cluster's <c>ceph.conf</c> lives in <c>{RunDirectory}/ceph/</c>, see <see cref="StoreNetwork"/>).
/// User policies go through RGW's IAM API (<c>PutUserPolicy</c>), signed here with SigV4: the test
/// project has no IAM SDK, and the signature is twenty lines.
/// </summary>
internal static class RgwIdentities
{
    private static readonly TimeSpan AdminTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Creates a user named <c>hsntf-{role}-{random}</c>; <paramref name="caps"/> e.g. <c>user-policy=*</c>.</summary>
    public static async Task<RgwUser> CreateUserAsync(StoreNetwork network, string role, string? caps = null,
        CancellationToken cancellationToken = default)
    {
        await network.EnsureStartedAsync(cancellationToken);
        string conf = Path.Combine(network.RunDirectory, "ceph", "ceph.conf");
        Assert.True(File.Exists(conf), $"{conf} not found: StoreNetwork no longer keeps the cluster's ceph.conf there; the Deploy tests need its path to run radosgw-admin");
        var user = new RgwUser($"hsntf-{role}-{RandomString(6, "abcdefghijklmnopqrstuvwxyz0123456789")}",
            RandomString(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
            RandomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"));
        var args = new List<string>
        {
            "netns", "exec", network.ServerNamespace, "radosgw-admin", "-c", conf, "user", "create",
            $"--uid={user.Uid}", $"--display-name={user.Uid}", $"--access-key={user.AccessKey}", $"--secret-key={user.SecretKey}",
        };
        if (caps is not null)
        {
            args.Add($"--caps={caps}");
        }
        ShellResult result = await Shell.RunAsync("ip", args, AdminTimeout, cancellationToken: cancellationToken);
        Assert.True(result.Succeeded, $"radosgw-admin user create {user.Uid} failed:\n{result.StandardError}");
        return user;
    }

    /// <summary>
    /// <c>iam:PutUserPolicy</c> on RGW as <paramref name="admin"/> (a user with caps
    /// <c>user-policy=*</c>). Returns the HTTP status and body; RGW answers 400 for a document it
    /// cannot parse.
    /// </summary>
    public static async Task<(HttpStatusCode Status, string Body)> PutUserPolicyAsync(Uri endpoint, RgwUser admin,
        string userName, string policyName, string document, CancellationToken cancellationToken)
    {
        string body = string.Join('&', new (string Key, string Value)[]
        {
            ("Action", "PutUserPolicy"), ("PolicyDocument", document), ("PolicyName", policyName),
            ("UserName", userName), ("Version", "2010-05-08"),
        }.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        SignV4(request, endpoint, body, admin, service: "iam", region: "us-east-1", DateTimeOffset.UtcNow);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        using HttpResponseMessage response = await http.SendAsync(request, cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>AWS Signature Version 4 over host, x-amz-date and the payload hash.</summary>
    private static void SignV4(HttpRequestMessage request, Uri endpoint, string body, RgwUser user, string service, string region,
        DateTimeOffset now)
    {
        string amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string date = amzDate[..8];
        string payloadHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        const string SignedHeaders = "host;x-amz-content-sha256;x-amz-date";
        string canonicalRequest = string.Join('\n',
            request.Method.Method, endpoint.AbsolutePath, endpoint.Query.TrimStart('?'),
            $"host:{endpoint.Authority}", $"x-amz-content-sha256:{payloadHash}", $"x-amz-date:{amzDate}", "",
            SignedHeaders, payloadHash);
        string scope = $"{date}/{region}/{service}/aws4_request";
        string stringToSign = string.Join('\n', "AWS4-HMAC-SHA256", amzDate, scope,
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));
        byte[] key = Encoding.UTF8.GetBytes("AWS4" + user.SecretKey);
        foreach (string part in new[] { date, region, service, "aws4_request" })
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }
        string signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        request.Headers.Host = endpoint.Authority;
        request.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        request.Headers.TryAddWithoutValidation("x-amz-content-sha256", payloadHash);
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={user.AccessKey}/{scope}, SignedHeaders={SignedHeaders}, Signature={signature}");
    }

    private static string RandomString(int length, string alphabet) =>
        string.Create(length, alphabet, (span, chars) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = chars[RandomNumberGenerator.GetInt32(chars.Length)];
            }
        });
}
