using System.Text.RegularExpressions;
using Hoshino.Cli.Commands;
using Hoshino.IntegrationTests.EndToEnd;
using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.IntegrationTests.Linux;

namespace Hoshino.IntegrationTests.Cli;

/// <summary>
/// The network key as a systemd credential (<c>LoadCredential=network-key:…</c>): systemd copies the
/// key into <c>$CREDENTIALS_DIRECTORY</c>, readable by the service's user through an ACL (mode then
/// reads 0440) or by ownership (0400). The real <c>hoshino up</c> finds it there and seals with it.
/// </summary>
[Trait("Category", "Integration")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class NetworkKeyCredentialTests : IDisposable
{
    private const UnixFileMode ReadOnlyByOwner = UnixFileMode.UserRead;
    private readonly string _dir = Directory.CreateTempSubdirectory("hoshino-credentials-").FullName;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Credentials => Directory.CreateDirectory(Path.Combine(_dir, "credentials")).FullName;

    [Fact]
    public void Resolve_NoFlagAndACredential_UsesTheCredential()
    {
        NetworkKeySource.Location? location = NetworkKeySource.Resolve(null, "/run/credentials/hoshino.service", p => p == "/run/credentials/hoshino.service/network-key");

        Assert.Equal(new NetworkKeySource.Location("/run/credentials/hoshino.service/network-key", IsCredential: true), location);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", "")]
    [InlineData(null, "/run/credentials/hoshino.service")] // the unit has credentials, but no network-key
    public void Resolve_NoFlagAndNoCredential_DoesNotSeal(string? keyFile, string? credentials)
    {
        Assert.Null(NetworkKeySource.Resolve(keyFile, credentials, _ => false));
    }

    [Theory]
    [InlineData("/etc/hoshino/network.key", null, false)]
    [InlineData("/etc/hoshino/network.key", "/run/credentials/hoshino.service", false)] // the flag wins over the credential
    [InlineData("/run/credentials/hoshino.service/network-key", "/run/credentials/hoshino.service", true)] // HOSHINO_NETWORK_KEY_FILE=%d/network-key
    [InlineData("/run/credentials/hoshino.service/network-key", "/run/credentials/hoshino.service/", true)]
    [InlineData("/run/credentials/hoshino.service/sub/network-key", "/run/credentials/hoshino.service", false)]
    [InlineData("/run/credentials/hoshino.service-other/network-key", "/run/credentials/hoshino.service", false)]
    public void Resolve_Flag_IsTheKeyFile(string keyFile, string? credentials, bool isCredential)
    {
        NetworkKeySource.Location? location = NetworkKeySource.Resolve(keyFile, credentials, _ => true);

        Assert.Equal(new NetworkKeySource.Location(keyFile, isCredential), location);
    }

    [Fact]
    public async Task Up_CredentialOwnedByTheUser_SealsWithIt()
    {
        (string key, string fingerprint) = await KeygenAsync(Path.Combine(Credentials, NetworkKeySource.CredentialName));
        File.SetUnixFileMode(key, ReadOnlyByOwner); // as systemd writes it where there are no ACLs (ramfs, systemd 252)

        string output = await RunNodeUntilUpAsync([], new() { ["CREDENTIALS_DIRECTORY"] = Credentials });

        Assert.Contains($"objects sealed (key {fingerprint})", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_CredentialWithAnAclForTheServiceUser_SealsWithIt()
    {
        (string key, string fingerprint) = await KeygenAsync(Path.Combine(Credentials, NetworkKeySource.CredentialName));
        File.SetUnixFileMode(key, ReadOnlyByOwner);
        // As systemd does for a service user that does not own the file: read access by an ACL entry.
        (await Shell.RunAsync("setfacl", ["-m", "u:nobody:r", key], TimeSpan.FromSeconds(10), cancellationToken: Ct)).EnsureSuccess();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead, File.GetUnixFileMode(key)); // the ACL mask shows as group read

        string output = await RunNodeUntilUpAsync([], new() { ["CREDENTIALS_DIRECTORY"] = Credentials });

        Assert.Contains($"objects sealed (key {fingerprint})", output, StringComparison.Ordinal);
        // The same file named as an ordinary key file is refused: outside systemd, group bits mean a group.
        (int code, string refused) = await HoshinoProcess.RunAsync(["up", "--store", "dir:" + _dir, "--network-key-file", key, "--metrics-listen", "none"]);
        Assert.Equal(ExitCodes.Config, code);
        Assert.Contains($"chmod 600 {key}", refused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_FlagAndCredential_FlagWins()
    {
        (string credential, _) = await KeygenAsync(Path.Combine(Credentials, NetworkKeySource.CredentialName));
        (string flagKey, string flagFingerprint) = await KeygenAsync(Path.Combine(_dir, "flag.key"));
        File.SetUnixFileMode(credential, ReadOnlyByOwner);

        string output = await RunNodeUntilUpAsync(["--network-key-file", flagKey], new() { ["CREDENTIALS_DIRECTORY"] = Credentials });

        Assert.Contains($"objects sealed (key {flagFingerprint})", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_CredentialReadableByOthers_RefusedWithOneLine()
    {
        (string key, _) = await KeygenAsync(Path.Combine(Credentials, NetworkKeySource.CredentialName));
        File.SetUnixFileMode(key, ReadOnlyByOwner | UnixFileMode.OtherRead);

        (int code, string output) = await HoshinoProcess.RunAsync(["up", "--store", "dir:" + _dir, "--metrics-listen", "none"],
            environment: new Dictionary<string, string> { ["CREDENTIALS_DIRECTORY"] = Credentials });

        Assert.Equal(ExitCodes.Config, code);
        Assert.Equal($"hoshino: network key credential {key} is writable by group or accessible to others (mode 0404), which systemd never makes a credential: "
            + "pass the key with LoadCredential=network-key:/etc/hoshino/network.key", output.Trim());
    }

    [Fact]
    public async Task Up_CredentialNotAKey_RefusedWithOneLine()
    {
        string key = Path.Combine(Credentials, NetworkKeySource.CredentialName);
        await File.WriteAllTextAsync(key, "not a key\n", Ct);
        File.SetUnixFileMode(key, ReadOnlyByOwner);

        (int code, string output) = await HoshinoProcess.RunAsync(["up", "--store", "dir:" + _dir, "--metrics-listen", "none"],
            environment: new Dictionary<string, string> { ["CREDENTIALS_DIRECTORY"] = Credentials });

        Assert.Equal(ExitCodes.Config, code);
        Assert.StartsWith($"hoshino: network key credential {key} does not hold a network key", output.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("\n", output.Trim(), StringComparison.Ordinal);
    }

    /// <summary><c>hoshino keygen --output PATH</c>; returns the path and the fingerprint it printed.</summary>
    private static async Task<(string Path, string Fingerprint)> KeygenAsync(string path)
    {
        (int code, string output) = await HoshinoProcess.RunAsync(["keygen", "--output", path]);
        Assert.True(code == 0, output);
        Match fingerprint = FingerprintPattern().Match(output);
        Assert.True(fingerprint.Success, output);
        return (path, fingerprint.Groups[1].Value);
    }

    /// <summary>Runs a real node (dir: store, its own network namespace) until it is up, stops it, returns its output.</summary>
    private async Task<string> RunNodeUntilUpAsync(string[] args, Dictionary<string, string> environment)
    {
        using TestNetworkNamespace ns = TestNetworkNamespace.Create();
        string bucket = Directory.CreateDirectory(Path.Combine(_dir, "bucket")).FullName;
        string machineId = Path.Combine(_dir, "machine-id");
        await File.WriteAllTextAsync(machineId, "c4ede471a1c4ede471a1c4ede471a1c4\n", Ct);
        await using HoshinoProcess node = HoshinoProcess.Start(
            ["up", "--store", "dir:" + bucket, "--machine-id-file", machineId, "--metrics-listen", "none", .. args], ns.Name, environment);
        await node.WaitReadyAsync(TimeSpan.FromSeconds(30));
        node.Terminate();
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        return node.Output;
    }

    [GeneratedRegex(@"fingerprint ([0-9a-f]{16})")]
    private static partial Regex FingerprintPattern();

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
