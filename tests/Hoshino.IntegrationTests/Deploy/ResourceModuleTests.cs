namespace Hoshino.IntegrationTests.Deploy;

/// <summary>
/// The resource modules (the bucket at <c>deploy/terraform</c>, <c>modules/node</c>,
/// <c>examples/two-nodes</c>) through <c>terraform test</c> with a mocked AWS provider:
/// <c>deploy/terraform/tests/resources.tftest.hcl</c> checks them against the provider's schema and
/// checks their wiring (the public access block, ownership, encryption and lifecycle rule; each
/// node's inline policy being exactly the rendered document; hoshino.env). Mocking needs the
/// provider's binary for its schema, and it cannot be downloaded here: the test uses a local
/// provider directory (<c>HOSHINO_TF_PLUGIN_DIR</c>, else the usual places) and is reported as
/// skipped, with the reason, when there is none.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ResourceModuleTests
{
    private const string AwsProvider = "registry.terraform.io/hashicorp/aws";

    [Fact]
    public async Task TerraformTest_ResourceModulesWithMockedAws_AllRunsPass()
    {
        string? pluginDirectory = FindPluginDirectory();
        if (pluginDirectory is null)
        {
            Assert.Skip($"no local copy of the {AwsProvider} provider (set HOSHINO_TF_PLUGIN_DIR to a directory holding "
                + $"{AwsProvider}/VERSION/linux_amd64/, e.g. from `terraform providers mirror`); the resource modules were not planned");
        }
        using TerraformWorkspace workspace = TerraformWorkspace.Create();

        (await workspace.RunAsync("terraform", "init", "-input=false", "-no-color", "-backend=false", $"-plugin-dir={pluginDirectory}")).EnsureSuccess();
        TerraformResult test = await workspace.RunAsync("terraform", "test", "-no-color");

        Assert.True(test.Succeeded, $"terraform test failed:\n{test.Output}\n{test.Error}");
        Assert.Contains(" 0 failed", test.Output, StringComparison.Ordinal);
    }

    private static string? FindPluginDirectory()
    {
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string?[] candidates =
        [
            Environment.GetEnvironmentVariable("HOSHINO_TF_PLUGIN_DIR"),
            "/opt/tf-plugins",
            Path.Combine(home, ".terraform.d", "plugins"),
            "/usr/local/share/terraform/plugins",
            "/usr/share/terraform/plugins",
        ];
        return candidates.FirstOrDefault(dir => dir is { Length: > 0 } && Directory.Exists(Path.Combine(dir, AwsProvider)));
    }
}
