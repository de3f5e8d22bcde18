using Hoshino.IntegrationTests.EndToEnd;
using Hoshino.IntegrationTests.Infrastructure;

namespace Hoshino.IntegrationTests.Cli;

/// <summary>
/// `hoshino up` against a real S3 server that says no: one line naming the store and the fix, the
/// right exit code, no stack trace, no secret, and no interface left behind.
/// </summary>
[Trait("Category", "Integration")]
public sealed class StoreErrorTests(StoreNetwork network) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hoshino-storeerr-").FullName;
    private NodeNamespace _ns = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _ns = await network.AddNodeAsync("err" + Guid.NewGuid().ToString("n")[..4], Ct);
        await File.WriteAllTextAsync(Path.Combine(_dir, "machine-id"), "0123456789abcdef0123456789abcdef\n", Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _ns.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(int Code, string Output)> UpAsync(string store, string endpoint, string secret)
    {
        (int code, string output) = await HoshinoProcess.RunAsync(
            ["up", "--store", store, "--s3-endpoint", endpoint, "--machine-id-file", Path.Combine(_dir, "machine-id"), "--metrics-listen", "none"],
            _ns.Name,
            new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = network.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = secret });
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain(network.SecretKey, output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
        Assert.Single(output.Trim().Split('\n'));
        ShellResult link = await Shell.RunAsync("ip", ["-n", _ns.Name, "link", "show", "hoshino0"], TimeSpan.FromSeconds(10), cancellationToken: Ct);
        Assert.False(link.Succeeded, "the interface was created although the store check failed");
        return (code, output);
    }

    [Fact]
    public async Task Up_WrongSecret_CredentialsErrorExit77()
    {
        (int code, string output) = await UpAsync($"s3://{network.Bucket}/x", network.Endpoint.ToString(), "not-the-secret-0123456789");

        Assert.Equal(ExitCodes.NoPermission, code);
        Assert.Contains("AWS_SECRET_ACCESS_KEY", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_MissingBucket_ConfigErrorExit78()
    {
        (int code, string output) = await UpAsync("s3://no-such-bucket-hoshino/x", network.Endpoint.ToString(), network.SecretKey);

        Assert.Equal(ExitCodes.Config, code);
        Assert.Contains("no-such-bucket-hoshino", output, StringComparison.Ordinal);
        Assert.Contains("create it, or check --store", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_EndpointUnreachable_UnavailableExit69()
    {
        (int code, string output) = await UpAsync($"s3://{network.Bucket}/x", $"http://[{network.ServerAddress}]:1", network.SecretKey);

        Assert.Equal(ExitCodes.Unavailable, code);
        Assert.Contains("check --s3-endpoint", output, StringComparison.Ordinal);
    }
}
