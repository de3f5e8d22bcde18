namespace Hoshino.IntegrationTests.Deploy;

/// <summary>Files of the repository the tests were built from, and tools the deploy tests run.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The directory holding Hoshino.slnx, found by walking up from the test binaries.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>A path under <see cref="Root"/>; fails the test when the file is missing.</summary>
    public static string File(params string[] parts)
    {
        string path = Path.Combine([Root, .. parts]);
        Assert.True(System.IO.File.Exists(path), $"{path} is missing");
        return path;
    }

    /// <summary>
    /// A program on PATH. Fails the test (never skips it) when there is none, naming the Debian
    /// package and the script that installs it.
    /// </summary>
    public static string Tool(string name, string debianPackage)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (System.IO.File.Exists(candidate))
            {
                return candidate;
            }
        }
        Assert.Fail($"{name} is not on PATH: install the Debian package {debianPackage} (scripts/install-deps.sh does)");
        return name;
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Hoshino.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"no Hoshino.slnx above {AppContext.BaseDirectory}");
    }
}
