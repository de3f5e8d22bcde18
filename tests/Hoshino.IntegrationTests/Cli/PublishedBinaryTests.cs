using Hoshino.IntegrationTests.Infrastructure;

namespace Hoshino.IntegrationTests.Cli;

/// <summary>
/// The published NativeAOT binary runs on a machine with no .NET at all: here, a private mount
/// namespace in which the SDK's directory is empty and PATH holds nothing of .NET.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PublishedBinaryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("--version", "0.1.0")]
    [InlineData("address --machine-id-file /etc/hostname --address fd5e:59b8:f71d:9a3e::42", "fd5e:59b8:f71d:9a3e::42")]
    public async Task PublishedBinary_WithoutDotnet_Runs(string args, string expected)
    {
        string binary = await PublishedBinaryAsync();
        string dotnetRoot = Path.GetDirectoryName(Path.GetFullPath(ResolveDotnet()))!;
        string empty = Directory.CreateTempSubdirectory("hoshino-nodotnet-").FullName;
        try
        {
            string script = $"mount --bind {empty} {dotnetRoot} && ! command -v dotnet >/dev/null && ! test -e {dotnetRoot}/dotnet && exec {binary} {args}";
            ShellResult result = await Shell.RunAsync("unshare", ["--mount", "--propagation", "private", "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "sh", "-c", script],
                TimeSpan.FromSeconds(30), cancellationToken: Ct);

            Assert.True(result.Succeeded, $"exit {result.ExitCode}: {result.StandardOutput}{result.StandardError}");
            Assert.StartsWith(expected, result.StandardOutput.Trim(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    /// <summary>artifacts/publish/hoshino from ./test.sh, or published now if missing.</summary>
    private static async Task<string> PublishedBinaryAsync()
    {
        string root = RepositoryRoot();
        string binary = Path.Combine(root, "artifacts", "publish", "hoshino");
        if (!File.Exists(binary))
        {
            ShellResult publish = await Shell.RunAsync(ResolveDotnet(),
                ["publish", Path.Combine(root, "src", "Hoshino"), "-c", "Release", "-r", "linux-x64", "-o", Path.GetDirectoryName(binary)!, "--nologo", "-v", "quiet"],
                TimeSpan.FromMinutes(8), cancellationToken: Ct);
            Assert.True(publish.Succeeded, publish.StandardOutput + publish.StandardError);
        }
        Assert.True(new FileInfo(binary).Length > 1_000_000, $"{binary} is not a self-contained native binary");
        return binary;
    }

    private static string ResolveDotnet()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host)
        {
            return host;
        }
        string? onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(dir => Path.Combine(dir, "dotnet")).FirstOrDefault(File.Exists);
        return new FileInfo(onPath ?? "/usr/bin/dotnet").ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? onPath ?? "/usr/bin/dotnet";
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Hoshino.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Hoshino.slnx above {AppContext.BaseDirectory}");
    }
}
