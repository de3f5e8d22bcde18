using System.Text.RegularExpressions;
using Hoshino.IntegrationTests.EndToEnd;
using Hoshino.IntegrationTests.Infrastructure;

namespace Hoshino.IntegrationTests.Cli;

/// <summary><c>hoshino demo</c> as a newcomer runs it: it works, says so, and leaves nothing behind.</summary>
[Trait("Category", "EndToEnd")]
public sealed partial class DemoTests
{
    [Fact]
    public async Task Demo_DefaultDirectoryStore_PingsFetchesMetricsAndCleansUp()
    {
        (int code, string output) = await HoshinoProcess.RunAsync(["demo", "--pings", "5"], timeout: TimeSpan.FromSeconds(120));

        Assert.True(code == 0, output);
        Assert.Matches(@"reply from fd5e:59b8:f71d:9a3e:[0-9a-f:]+: seq=5 time=[\d.]+ ms", output);
        Assert.Matches(@"hoshino_packets_total\{direction=""ingress""\} [1-9]", output);
        Assert.Contains("on AWS S3", output, StringComparison.Ordinal);
        Assert.Contains("The tunnel works", output, StringComparison.Ordinal);

        string id = DemoId().Match(output).Groups[1].Value;
        Assert.NotEmpty(id);
        string namespaces = (await Shell.RunAsync("ip", ["netns", "list"], TimeSpan.FromSeconds(10), cancellationToken: TestContext.Current.CancellationToken)).StandardOutput;
        Assert.DoesNotContain($"hsn-demo-{id}", namespaces, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), $"hoshino-demo-{id}")));
        string processes = (await Shell.RunAsync("pgrep", ["-af", $"hoshino-demo-{id}"], TimeSpan.FromSeconds(10), cancellationToken: TestContext.Current.CancellationToken)).StandardOutput;
        Assert.Equal("", processes.Trim());
    }

    [GeneratedRegex(@"Hoshino demo ([0-9a-f]{4}):")]
    private static partial Regex DemoId();
}

/// <summary>The same demo on a real S3 bucket (Ceph RGW), the nodes reaching it from the demo's namespace.</summary>
[Trait("Category", "EndToEnd")]
public sealed class DemoOnS3Tests(StoreNetwork network)
{
    [Fact]
    public async Task Demo_S3Store_PingsThroughTheBucketAndLeavesItEmpty()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        await network.EnsureStartedAsync(ct);
        string prefix = $"demo-{Guid.NewGuid():n}";

        (int code, string output) = await HoshinoProcess.RunAsync(
            ["demo", "--pings", "3", "--store", $"s3://{network.Bucket}/{prefix}", "--s3-endpoint", network.Endpoint.ToString()],
            environment: new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = network.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = network.SecretKey },
            timeout: TimeSpan.FromSeconds(120));

        Assert.True(code == 0, output);
        Assert.Contains($"bucket   s3://{network.Bucket}/{prefix}/demo-", output, StringComparison.Ordinal);
        Assert.Contains("seq=3", output, StringComparison.Ordinal);
        Assert.Contains("The tunnel works", output, StringComparison.Ordinal);
        using var store = (Hoshino.S3.S3PacketStore)network.CreateStore(prefix + "/");
        Assert.Empty(await store.ListAsync("", 1000, ct));
    }
}
