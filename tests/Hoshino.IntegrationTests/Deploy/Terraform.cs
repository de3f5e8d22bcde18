using System.Diagnostics;
using System.Text;

namespace Hoshino.IntegrationTests.Deploy;

/// <summary>The outcome of one <c>terraform</c> command.</summary>
internal sealed record TerraformResult(string Command, int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Fails the test with the command's output unless it succeeded.</summary>
    public TerraformResult EnsureSuccess()
    {
        Assert.True(Succeeded, $"`{Command}` exited {ExitCode}:\n{Error}\n{Output}");
        return this;
    }
}

/// <summary>
/// A private copy of <c>deploy/terraform</c> in a temporary directory, and the <c>terraform</c> CLI
/// run on it: tests never write into the repository (no <c>.terraform/</c>, lock files or state
/// there) and never reach the network (no provider downloads, no checkpoint calls, an empty CLI
/// configuration unless one is given). Dispose deletes the directory.
/// </summary>
internal sealed class TerraformWorkspace : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);

    private TerraformWorkspace(string root)
    {
        Root = root;
        Modules = Path.Combine(root, "terraform");
        CliConfigFile = Path.Combine(root, "cli.tfrc");
    }

    /// <summary>The temporary directory; holds the copy (<see cref="Modules"/>) and anything a test writes.</summary>
    public string Root { get; }

    /// <summary>The copy of <c>deploy/terraform</c>.</summary>
    public string Modules { get; }

    /// <summary>The CLI configuration every command runs with (empty: no mirrors, no credentials).</summary>
    public string CliConfigFile { get; }

    /// <summary>The repository's <c>deploy/terraform</c>, found by walking up from the test binaries.</summary>
    public static string SourceDirectory => LazySourceDirectory.Value;

    /// <summary>
    /// The <c>terraform</c> binary: <c>HOSHINO_TERRAFORM</c>, else the first on PATH. Fails the test
    /// (never skips it) when there is none.
    /// </summary>
    public static string Binary => LazyBinary.Value;

    // Lazy, not static initialisers: a missing binary must fail the test with its own message, not
    // with a TypeInitializationException.
    private static readonly Lazy<string> LazySourceDirectory = new(FindSourceDirectory);
    private static readonly Lazy<string> LazyBinary = new(FindBinary);

    public static TerraformWorkspace Create()
    {
        string root = Directory.CreateTempSubdirectory("hoshino-tf-").FullName;
        var workspace = new TerraformWorkspace(root);
        CopyModules(SourceDirectory, workspace.Modules);
        File.WriteAllText(workspace.CliConfigFile, "");
        return workspace;
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="relativePath"/> under <see cref="Root"/>.</summary>
    public string WriteFile(string relativePath, string text)
    {
        string path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Runs <c>terraform ARGS</c> in <paramref name="directory"/> (relative to <see cref="Root"/>).</summary>
    public Task<TerraformResult> RunAsync(string directory, params string[] args) =>
        RunInAsync(Path.Combine(Root, directory), CliConfigFile, args);

    /// <summary>Runs terraform in any directory; only for read-only commands such as <c>version</c>.</summary>
    public static async Task<TerraformResult> RunInAsync(string workingDirectory, string cliConfigFile, params string[] args)
    {
        var start = new ProcessStartInfo(Binary)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        // Nothing from the developer's environment (TF_VAR_*, TF_CLI_ARGS, TF_WORKSPACE, a plugin
        // cache, AWS credentials) may change what the tests see.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("TF_", StringComparison.Ordinal)
                     || k.StartsWith("AWS_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }
        start.Environment["TF_CLI_CONFIG_FILE"] = cliConfigFile;
        start.Environment["TF_IN_AUTOMATION"] = "1";
        start.Environment["TF_INPUT"] = "0";
        start.Environment["CHECKPOINT_DISABLE"] = "1"; // no version check against checkpoint-api.hashicorp.com

        string command = string.Join(' ', ["terraform", .. args]);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start `{command}`");
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        Task<string> stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // terraform and the provider plugins it started
            await process.WaitForExitAsync(CancellationToken.None);
            Assert.Fail($"`{command}` did not finish within {CommandTimeout.TotalSeconds:0} s:\n{await stderr}\n{await stdout}");
        }
        return new TerraformResult(command, process.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>Copies the module sources only: no <c>.terraform/</c>, state or lock files a developer left behind.</summary>
    private static void CopyModules(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            string name = Path.GetFileName(file);
            if (name.StartsWith('.') || name.Contains(".tfstate", StringComparison.Ordinal))
            {
                continue;
            }
            File.Copy(file, Path.Combine(to, name));
        }
        foreach (string directory in Directory.GetDirectories(from))
        {
            string name = Path.GetFileName(directory);
            if (!name.StartsWith('.'))
            {
                CopyModules(directory, Path.Combine(to, name));
            }
        }
    }

    private static string FindSourceDirectory()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "deploy", "terraform");
            if (File.Exists(Path.Combine(candidate, "modules", "node-policy", "address.tf")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException($"deploy/terraform not found above {AppContext.BaseDirectory}");
    }

    private static string FindBinary()
    {
        if (Environment.GetEnvironmentVariable("HOSHINO_TERRAFORM") is { Length: > 0 } explicitPath)
        {
            return File.Exists(explicitPath)
                ? explicitPath
                : throw new FileNotFoundException($"HOSHINO_TERRAFORM names {explicitPath}, which does not exist");
        }
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "terraform");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        var message = new StringBuilder()
            .Append("the deploy/terraform tests need the terraform CLI (1.5 or later), and there is none on PATH. ")
            .Append("Debian does not package it: install the binary from https://releases.hashicorp.com/terraform/ ")
            .Append("(or apt.releases.hashicorp.com), or set HOSHINO_TERRAFORM to its path.");
        throw new FileNotFoundException(message.ToString());
    }
}
