using System.Text.RegularExpressions;
using Hoshino.IntegrationTests.Infrastructure;

namespace Hoshino.IntegrationTests.Deploy;

/// <summary>
/// The .deb that <c>scripts/build-deb.sh</c> makes from the published NativeAOT binary
/// (<c>artifacts/publish/hoshino</c>, which <c>./test.sh</c> publishes before the integration tests
/// run), built once for the class into a temporary directory.
/// </summary>
public sealed class DebianPackageFixture : IAsyncLifetime
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("hoshino-deb-").FullName;
    public string Binary { get; } = Path.Combine(RepositoryFiles.Root, "artifacts", "publish", "hoshino");
    public string UpstreamVersion { get; private set; } = "";
    public string Deb { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Assert.True(File.Exists(Binary),
            $"{Binary} is missing: ./test.sh publishes it before the integration tests (or: dotnet publish src/Hoshino -c Release -r linux-x64 -o artifacts/publish)");
        Assert.True(new FileInfo(Binary).Length > 1_000_000, $"{Binary} is not a self-contained native binary");
        ShellResult version = (await Shell.RunAsync(Binary, ["--version"], TimeSpan.FromSeconds(30))).EnsureSuccess();
        UpstreamVersion = version.StandardOutput.Trim().Split('+')[0];
        Assert.Matches(@"^\d+\.\d+\.\d+$", UpstreamVersion);

        ShellResult build = await Shell.RunAsync(RepositoryFiles.File("scripts", "build-deb.sh"), ["--binary", Binary, "--output", Directory],
            TimeSpan.FromMinutes(5));

        Assert.True(build.Succeeded, $"build-deb.sh exited {build.ExitCode}:\n{build.StandardError}{build.StandardOutput}");
        Deb = build.StandardOutput.Trim();
        Assert.Equal(Path.Combine(Directory, $"hoshino_{UpstreamVersion}-1_amd64.deb"), Deb);
        Assert.True(File.Exists(Deb), Deb);
    }

    public ValueTask DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}

/// <summary>The Debian package: its metadata and files, lintian, and a real install into a scratch root.</summary>
[Trait("Category", "Integration")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class DebianPackageTests(DebianPackageFixture package) : IClassFixture<DebianPackageFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Control_VersionAndDependencies_AreTheBinarys()
    {
        string fields = await RunAsync("dpkg-deb", "--field", package.Deb, "Package", "Version", "Architecture", "Depends", "Recommends");

        Assert.Contains("Package: hoshino\n", fields, StringComparison.Ordinal);
        Assert.Contains($"Version: {package.UpstreamVersion}-1\n", fields, StringComparison.Ordinal);
        Assert.Contains("Architecture: amd64\n", fields, StringComparison.Ordinal);
        Assert.Matches(@"Depends: libc6 \(>= [\d.]+\), libssl3 \| libssl3t64\n", fields);
        Assert.Contains("Recommends: ca-certificates", fields, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Contents_EveryFile_HasItsPlaceModeAndOwner()
    {
        string listing = await RunAsync("dpkg-deb", "--contents", package.Deb);

        foreach ((string mode, string path) in ((string, string)[])[
                     ("-rwxr-xr-x", "./usr/bin/hoshino"),
                     ("-rw-r--r--", "./lib/systemd/system/hoshino.service"),
                     ("-rw-------", "./etc/hoshino/hoshino.env"),
                     ("-rw-r--r--", "./usr/share/man/man1/hoshino.1.gz"),
                     ("-rw-r--r--", "./usr/share/doc/hoshino/copyright"),
                     ("-rw-r--r--", "./usr/share/doc/hoshino/changelog.Debian.gz"),
                     ("-rw-r--r--", "./usr/share/doc/hoshino/examples/grafana/hoshino-dashboard.json"),
                     ("-rw-r--r--", "./usr/share/doc/hoshino/examples/grafana/hoshino-alerts.yml")])
        {
            Assert.Matches(new Regex($@"^{Regex.Escape(mode)} root/root +\d+ [\d-]+ [\d:]+ {Regex.Escape(path)}$", RegexOptions.Multiline), listing);
        }
        Assert.DoesNotContain(".pdb", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("hoshino.dbg", listing, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lintian_Package_NoErrorsOrWarningsBeyondExplainedOverrides()
    {
        string lintian = RepositoryFiles.Tool("lintian", "lintian");
        string overrides = await File.ReadAllTextAsync(RepositoryFiles.File("deploy", "debian", "lintian-overrides"), Ct);
        // Every override has its reason in a comment right above it.
        string[] lines = overrides.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("hoshino: ", StringComparison.Ordinal))
            {
                Assert.True(i > 0 && lines[i - 1].StartsWith("# ", StringComparison.Ordinal), $"override without a comment above it: {lines[i]}");
            }
        }
        int overrideCount = lines.Count(l => l.StartsWith("hoshino: ", StringComparison.Ordinal));

        ShellResult result = await Shell.RunAsync(lintian,
            ["--pedantic", "--display-experimental", "--fail-on", "error,warning", "--tag-display-limit", "0", package.Deb],
            TimeSpan.FromMinutes(3), cancellationToken: Ct);

        List<string> complaints = [.. result.StandardOutput.Split('\n').Where(l => l.StartsWith("E: ", StringComparison.Ordinal) || l.StartsWith("W: ", StringComparison.Ordinal))];
        Assert.True(complaints.Count == 0, string.Join('\n', complaints));
        Assert.True(result.Succeeded, $"lintian exited {result.ExitCode}:\n{result.StandardOutput}{result.StandardError}");
        // Each override still matches a tag: none is stale. (Shown overrides count as failures, hence --fail-on none.)
        ShellResult shown = await Shell.RunAsync(lintian, ["--show-overrides", "--fail-on", "none", package.Deb], TimeSpan.FromMinutes(3), cancellationToken: Ct);
        Assert.True(shown.Succeeded, shown.StandardError);
        Assert.Equal(overrideCount, shown.StandardOutput.Split('\n').Count(l => l.StartsWith("O: hoshino: ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ManPage_EveryOptionOfEveryCommand_IsDescribed()
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("hoshino-man-").FullName;
        try
        {
            await RunAsync("dpkg-deb", "--extract", package.Deb, dir);
            string page = Path.Combine(dir, "usr", "share", "man", "man1", "hoshino.1.gz");

            ShellResult man = await Shell.RunAsync("man", ["--warnings", "-l", page], TimeSpan.FromSeconds(30),
                new Dictionary<string, string> { ["MANWIDTH"] = "200", ["MANPAGER"] = "cat", ["LC_ALL"] = "C.UTF-8" }, Ct);

            Assert.True(man.Succeeded, man.StandardError);
            Assert.Equal("", man.StandardError.Trim()); // groff found nothing to warn about
            string text = man.StandardOutput;
            foreach (string command in (string[])["up", "address", "keygen"])
            {
                string help = await RunAsync(package.Binary, command, "--help");
                List<string> flags = [.. FlagPattern().Matches(help).Select(m => m.Value).Where(f => f != "--help")];
                Assert.NotEmpty(flags);
                Assert.Contains($"hoshino {command}", text, StringComparison.Ordinal);
                foreach (string flag in flags)
                {
                    Assert.True(text.Contains(flag, StringComparison.Ordinal), $"hoshino(1) does not describe {command} {flag}");
                }
            }
            Assert.Contains("HOSHINO_NETWORK_KEY_FILE", text, StringComparison.Ordinal);
            Assert.Contains("LoadCredential=network-key:/etc/hoshino/network.key", text, StringComparison.Ordinal);
            Assert.Contains($"hoshino {package.UpstreamVersion}", text, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Install_IntoAScratchRoot_RunsThenRemovesAndPurges()
    {
        using var root = new ScratchRoot();

        await root.DpkgAsync("--install", package.Deb);

        string status = await root.DpkgAsync("--status", "hoshino");
        Assert.Contains("Status: install ok installed", status, StringComparison.Ordinal);
        Assert.Matches(@"Conffiles:\n /etc/hoshino/hoshino\.env [0-9a-f]{32}\n", status);
        string installed = root.File("usr", "bin", "hoshino");
        Assert.Equal(await File.ReadAllBytesAsync(package.Binary, Ct), await File.ReadAllBytesAsync(installed, Ct));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(root.File("etc", "hoshino", "hoshino.env")));
        Assert.Equal(await File.ReadAllTextAsync(RepositoryFiles.File("deploy", "systemd", "hoshino.service"), Ct),
            await File.ReadAllTextAsync(root.File("lib", "systemd", "system", "hoshino.service"), Ct));

        // The installed binary runs (the machine-id of DESIGN.md's example, in the scratch root's /etc).
        string machineId = root.File("etc", "machine-id");
        await File.WriteAllTextAsync(machineId, "c05f7f48de53428f9d2a0b7c1e4f6a88\n", Ct);
        Assert.StartsWith(package.UpstreamVersion + "+", await RunAsync(installed, "--version"), StringComparison.Ordinal);
        Assert.Equal("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f", (await RunAsync(installed, "address", "--machine-id-file", machineId)).Trim());

        // Removing keeps the settings (a conffile); purging removes them too.
        await root.DpkgAsync("--remove", "hoshino");
        Assert.False(File.Exists(installed));
        Assert.False(File.Exists(root.File("lib", "systemd", "system", "hoshino.service")));
        Assert.True(File.Exists(root.File("etc", "hoshino", "hoshino.env")));
        await root.DpkgAsync("--purge", "hoshino");
        Assert.False(File.Exists(root.File("etc", "hoshino", "hoshino.env")));
        Assert.DoesNotContain("hoshino", await root.DpkgAsync("--list"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unit_InstalledWithTheCredentialDropIn_SystemdAnalyzeVerifies()
    {
        using var root = new ScratchRoot();
        await root.DpkgAsync("--install", package.Deb);
        // The drop-in README.Debian and the unit's comment tell operators to add for sealing.
        string dropIn = root.File("etc", "systemd", "system", "hoshino.service.d", "network-key.conf");
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(dropIn)!);
        await File.WriteAllTextAsync(dropIn, "[Service]\nLoadCredential=network-key:/etc/hoshino/network.key\n", Ct);
        // The targets the unit orders itself after and installs into, from this machine's systemd.
        foreach (string target in System.IO.Directory.GetFiles("/lib/systemd/system", "*.target"))
        {
            File.Copy(target, root.File("lib", "systemd", "system", Path.GetFileName(target)));
        }

        ShellResult verify = await Shell.RunAsync("systemd-analyze", ["verify", "--man=no", $"--root={root.Path}", "hoshino.service"],
            TimeSpan.FromSeconds(60), cancellationToken: Ct);

        Assert.True(verify.Succeeded, verify.StandardError + verify.StandardOutput);
        Assert.Equal("", (verify.StandardError + verify.StandardOutput).Trim());
        // The verifier did read the drop-in: a misspelt key in it is reported.
        await File.WriteAllTextAsync(dropIn, "[Service]\nLoadCredentails=network-key:/etc/hoshino/network.key\n", Ct);
        ShellResult misspelt = await Shell.RunAsync("systemd-analyze", ["verify", "--man=no", $"--root={root.Path}", "hoshino.service"],
            TimeSpan.FromSeconds(60), cancellationToken: Ct);
        Assert.Contains("Unknown key 'LoadCredentails'", misspelt.StandardError + misspelt.StandardOutput, StringComparison.Ordinal);
    }

    private static async Task<string> RunAsync(string file, params string[] args) =>
        (await Shell.RunAsync(file, args, TimeSpan.FromMinutes(2), cancellationToken: Ct)).EnsureSuccess().StandardOutput;

    [GeneratedRegex(@"--[a-z0-9-]+")]
    private static partial Regex FlagPattern();

    /// <summary>
    /// An empty dpkg root of its own (a status file, no packages), deleted on Dispose. dpkg runs the
    /// maintainer scripts without a chroot and with DPKG_ROOT set, which they take as "not this
    /// machine": they never touch the host's systemd. Dependencies are not installed there.
    /// </summary>
    private sealed class ScratchRoot : IDisposable
    {
        public ScratchRoot()
        {
            Path = System.IO.Directory.CreateTempSubdirectory("hoshino-root-").FullName;
            System.IO.Directory.CreateDirectory(System.IO.Path.Combine(Path, "var", "lib", "dpkg", "info"));
            System.IO.Directory.CreateDirectory(System.IO.Path.Combine(Path, "var", "lib", "dpkg", "updates"));
            System.IO.File.WriteAllText(System.IO.Path.Combine(Path, "var", "lib", "dpkg", "status"), "");
        }

        public string Path { get; }

        public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

        public Task<string> DpkgAsync(params string[] args) =>
            RunAsync("dpkg", [$"--root={Path}", "--force-script-chrootless", "--force-depends", .. args]);

        public void Dispose() => System.IO.Directory.Delete(Path, recursive: true);
    }
}
