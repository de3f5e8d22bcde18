using Hoshino.IntegrationTests.EndToEnd;

namespace Hoshino.IntegrationTests.Cli;

/// <summary>
/// The operator's errors end in one clear line and a non-zero exit, never a stack trace. These run
/// the real binary; none needs the network (a dir: store in a temporary directory stands in).
/// </summary>
public sealed class OperatorErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hoshino-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string MachineIdFile()
    {
        string path = Path.Combine(_dir, "machine-id");
        File.WriteAllText(path, "c05f7f48de53428f9a3e0123456789ab\n");
        return path;
    }

    private static void AssertOneLineError(int exitCode, string output, int expectedCode, params string[] fragments)
    {
        Assert.True(exitCode == expectedCode, $"exit code {exitCode}, expected {expectedCode}; output:\n{output}");
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // no stack trace
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Address_FromMachineIdFile_PrintsDerivedAddress()
    {
        (int code, string output) = await HoshinoProcess.RunAsync(["address", "--machine-id-file", MachineIdFile()]);

        Assert.Equal(0, code);
        Assert.Equal("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f", output.Trim());
    }

    [Fact]
    public async Task Address_EnvironmentVariable_IsUsedAndFlagWins()
    {
        var env = new Dictionary<string, string> { ["HOSHINO_PREFIX"] = "fd00:1:2:3::/64", ["HOSHINO_MACHINE_ID_FILE"] = MachineIdFile() };
        (int fromEnv, string envOutput) = await HoshinoProcess.RunAsync(["address"], environment: env);
        (int fromFlag, string flagOutput) = await HoshinoProcess.RunAsync(["address", "--prefix", "fd00:9::/64"], environment: env);

        Assert.Equal(0, fromEnv);
        Assert.Equal("fd00:1:2:3:c05f:7f48:de53:428f", envOutput.Trim());
        Assert.Equal(0, fromFlag);
        Assert.Equal("fd00:9::c05f:7f48:de53:428f", flagOutput.Trim());
    }

    [Theory]
    [InlineData(new[] { "address", "--prefix", "fd00::/48" }, "must be a /64")]
    [InlineData(new[] { "address", "--prefix", "10.0.0.0/8" }, "bad prefix")]
    [InlineData(new[] { "address", "--address", "fd00::1" }, "not inside the network prefix")]
    [InlineData(new[] { "address", "--address", "nonsense" }, "bad address")]
    [InlineData(new[] { "up", "--store", "dir:/tmp", "--poll-min", "fast" }, "bad duration 'fast' for --poll-min")]
    [InlineData(new[] { "up", "--store", "dir:/tmp", "--poll-min", "2s", "--poll-max", "1s" }, "must not be shorter")]
    [InlineData(new[] { "up", "--store", "dir:/tmp", "--mtu", "100" }, "bad --mtu")]
    [InlineData(new[] { "up", "--store", "ftp://x" }, "bad store")]
    [InlineData(new[] { "up", "--store", "s3://A_B" }, "not a valid S3 bucket name")]
    [InlineData(new[] { "up" }, "no store given")]
    [InlineData(new[] { "up", "--store", "dir:/tmp", "--metrics-listen", "8081" }, "bad --metrics-listen")]
    [InlineData(new[] { "up", "--store", "dir:/tmp", "--interface", "much-too-long-interface-name" }, "bad interface name")]
    [InlineData(new[] { "up", "--store", "dir:/tmp", "--interface", "hoshino-\u00e9\u00e9\u00e9\u00e9\u00e9" }, "bad interface name")] // 13 characters, 18 bytes
    public async Task Command_BadValue_OneLineUsageError(string[] args, string expected)
    {
        (int code, string output) = await HoshinoProcess.RunAsync([.. args, "--machine-id-file", MachineIdFile()]);

        AssertOneLineError(code, output, ExitCodes.Usage, expected);
    }

    [Fact]
    public async Task Up_EndpointWithCredentialsInTheUrl_RefusedWithoutEchoingThem()
    {
        (int code, string output) = await HoshinoProcess.RunAsync(
            ["up", "--store", "s3://bucket", "--s3-endpoint", "http://AKIDEXAMPLE:s3cr3t-Secret@[::1]:9/", "--machine-id-file", MachineIdFile()]);

        AssertOneLineError(code, output, ExitCodes.Usage, "credentials do not belong in the URL");
        Assert.DoesNotContain("s3cr3t-Secret", output, StringComparison.Ordinal);
        Assert.DoesNotContain("AKIDEXAMPLE", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_UnknownFlag_UsageErrorNamesIt()
    {
        (int code, string output) = await HoshinoProcess.RunAsync(["up", "--no-such-flag"]);

        AssertOneLineError(code, output, ExitCodes.Usage, "--no-such-flag");
    }

    [Fact]
    public async Task Address_MissingMachineIdFile_ConfigErrorSaysHowToFix()
    {
        (int code, string output) = await HoshinoProcess.RunAsync(["address", "--machine-id-file", Path.Combine(_dir, "missing")]);

        AssertOneLineError(code, output, ExitCodes.Config, "--machine-id-file or --address");
    }

    [Fact]
    public async Task Up_StoreDirectoryMissing_ConfigError()
    {
        (int code, string output) = await HoshinoProcess.RunAsync(
            ["up", "--store", "dir:" + Path.Combine(_dir, "nope"), "--machine-id-file", MachineIdFile(), "--metrics-listen", "none"]);

        AssertOneLineError(code, output, ExitCodes.Config, "does not exist");
    }

    [Fact]
    public async Task Up_WithoutCapNetAdmin_SaysRunAsRootOrGrantCapability()
    {
        // Root without CAP_NET_ADMIN in its bounding set: what an unprivileged service account sees.
        (int code, string output) = await HoshinoProcess.RunAsync(
            ["up", "--store", "dir:" + _dir, "--machine-id-file", MachineIdFile(), "--metrics-listen", "none", "--interface", "hsncap0"],
            wrapper: ["setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin", "--"]);

        AssertOneLineError(code, output, ExitCodes.NoPermission, "CAP_NET_ADMIN");
    }

    [Fact]
    public async Task Up_NoTunDevice_SaysHowToGetOne()
    {
        // A private mount namespace where /dev/net is empty: as in a container without --device /dev/net/tun.
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        string script = $"mount --bind {empty} /dev/net && exec \"$@\"";
        (int code, string output) = await HoshinoProcess.RunAsync(
            ["up", "--store", "dir:" + _dir, "--machine-id-file", MachineIdFile(), "--metrics-listen", "none", "--interface", "hsntun0"],
            wrapper: ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"]);

        AssertOneLineError(code, output, ExitCodes.Config, "/dev/net/tun");
    }

    [Fact]
    public async Task Up_MetricsAddressNotOnThisMachine_OneLineUnavailable()
    {
        // A network namespace of its own whose loopback is down: [::1] cannot be bound (EADDRNOTAVAIL,
        // a SocketException from Kestrel rather than an IOException). It and its interface go with the process.
        (int code, string output) = await HoshinoProcess.RunAsync(
            ["up", "--store", "dir:" + _dir, "--machine-id-file", MachineIdFile(), "--metrics-listen", "[::1]:8081", "--interface", "hsnmet0"],
            wrapper: ["unshare", "--net", "--"]);

        AssertOneLineError(code, output, ExitCodes.Unavailable, "--metrics-listen");
    }
}
