using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hoshino.IntegrationTests.EndToEnd;

namespace Hoshino.IntegrationTests.Deploy;

/// <summary>
/// <c>deploy/terraform</c> with the real terraform CLI, offline: formatting, and
/// <c>modules/node-policy</c> rendered with terraform and compared with what hoshino itself does —
/// the addresses (which are the S3 key segments the policies name), the policy documents, the
/// validation of bad inputs, and the hoshino.env settings.
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class NodePolicyModuleTests(AddressCases cases) : IClassFixture<AddressCases>
{
    private const string Bucket = "hoshino-net";

    [Fact]
    public async Task Fmt_DeployTerraform_IsCanonical()
    {
        using TerraformWorkspace workspace = TerraformWorkspace.Create();

        TerraformResult fmt = await workspace.RunAsync("terraform", "fmt", "-check", "-recursive", "-diff", "-no-color");

        Assert.True(fmt.Succeeded, $"terraform fmt -check -recursive found files to reformat (run `terraform fmt -recursive deploy/terraform`):\n{fmt.Output}{fmt.Error}");
    }

    [Fact]
    public void Address_MachineIds_SameAsHoshino()
    {
        var mismatches = new List<string>();
        foreach ((string key, string prefix, string machineId) in cases.MachineIdCases)
        {
            string hoshino = AddressCases.HoshinoAddressOf(prefix, machineId);
            string module = cases.ModuleAddresses[key];
            if (module != hoshino)
            {
                mismatches.Add($"{prefix} + machine-id {machineId.Trim()}: module {module}, hoshino {hoshino}");
            }
            if (cases.CliAddresses.TryGetValue(key, out string? cli) && cli != hoshino)
            {
                mismatches.Add($"{prefix} + machine-id {machineId.Trim()}: `hoshino address` printed {cli}, NodeAddress {hoshino}");
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {cases.MachineIdCases.Count} addresses differ (seed {AddressCases.Seed}):\n" + string.Join('\n', mismatches));
        Assert.True(cases.MachineIdCases.Count(c => c.Key[0] == 'r') >= 200, "at least 200 random machine-ids");
        Assert.True(cases.CliAddresses.Count >= 60, $"only {cases.CliAddresses.Count} cases went through `hoshino address`");
        // The forms that tripped earlier implementations, as hoshino writes them.
        Assert.Equal("fd5e:59b8:f71d:9a3e:0:1::", Rendered("0000000100000000", AddressCases.DefaultPrefix));
        Assert.Equal("fd5e:59b8:f71d:9a3e::1", Rendered("0000000000000001", AddressCases.DefaultPrefix));
        Assert.Equal("fd5e:59b8:f71d:9a3e:1000::1", Rendered("1000000000000001", AddressCases.DefaultPrefix));
        Assert.Equal("fd00::1:0:0", Rendered("0000000100000000", "fd00::/64"));
        Assert.Equal("fd00::1000:0:0:1", Rendered("1000000000000001", "fd00::/64"));
        Assert.Equal("fd5e:59b8:f71d:9a3e:0:5efe:1.2.3.4", Rendered("00005efe01020304", AddressCases.DefaultPrefix));
    }

    [Fact]
    public void Address_ExplicitAddresses_WrittenAsHoshinoWritesThem()
    {
        foreach ((string key, (string prefix, string address)) in cases.AddressInputCases)
        {
            string hoshino = AddressCases.HoshinoExplicitAddressOf(prefix, address);

            Assert.True(hoshino == cases.ModuleAddresses[key], $"--address {address} in {prefix}: module {cases.ModuleAddresses[key]}, hoshino {hoshino}");
            Assert.True(hoshino == cases.CliAddresses[key], $"--address {address} in {prefix}: `hoshino address` printed {cases.CliAddresses[key]}, NodeAddress {hoshino}");
        }
    }

    [Fact]
    public async Task Render_InvalidNodes_FailWithOneMessageEach()
    {
        using TerraformWorkspace workspace = TerraformWorkspace.Create();
        var networks = new Dictionary<string, NetworkInput>(StringComparer.Ordinal)
        {
            ["hostbits"] = new(Bucket, "", "fd00::1/64", new Dictionary<string, NodeInput> { ["ok"] = new(MachineId: "c05f7f48de53428f") }),
            ["nodes"] = new(Bucket, "", "fd00::/64", new Dictionary<string, NodeInput>
            {
                ["both"] = new("c05f7f48de53428f", "fd00::1"),
                ["neither"] = new(),
                ["zero"] = new(MachineId: "0000000000000000c05f7f48de53428f"),
                ["outside"] = new(Address: "fd01::1"),
                ["anycast"] = new(Address: "fd00::"),
                ["triple"] = new(Address: "fd00:::1"),
                ["nine"] = new(Address: "1:2:3:4:5:6:7:8:9"),
                ["octet"] = new(Address: "fd00::1.2.3.256"),
                ["clone1"] = new(MachineId: "c05f7f48de53428f0123456789abcdef"),
                ["clone2"] = new(Address: "FD00::C05F:7F48:DE53:428F"),
            }, RequiredNodes: ["ghost", "clone1"]),
        };

        TerraformResult apply = await NodePolicyRender.TryRenderAsync(workspace, networks);
        string error = Flatten(apply.Error);

        Assert.False(apply.Succeeded, "terraform accepted invalid nodes:\n" + apply.Output);
        string[] expected =
        [
            "network_prefix 'fd00::1/64' has host bits set",
            "node 'both': give exactly one of machine_id and address",
            "node 'neither': give exactly one of machine_id and address",
            "node 'zero': the machine-id starts with 16 zeros",
            "node 'outside': address 'fd01::1' is not inside network_prefix fd00::/64",
            "node 'anycast': the all-zero interface identifier is the subnet-router anycast address",
            "node 'triple': address 'fd00:::1' is not a valid IPv6 address",
            "node 'nine': address '1:2:3:4:5:6:7:8:9' is not a valid IPv6 address",
            "node 'octet': address 'fd00::1.2.3.256' is not a valid IPv6 address",
            "nodes 'clone1', 'clone2' have the same address fd00::c05f:7f48:de53:428f (a cloned machine-id?",
            "node 'ghost' is not in nodes",
        ];
        foreach (string message in expected)
        {
            Assert.True(error.Contains(message, StringComparison.Ordinal), $"missing \"{message}\" in:\n{error}");
        }
        // One message per problem: an address that does not parse is not also reported as outside the
        // prefix, and nodes refused for their own inputs (both '::' here) are not also duplicates.
        Assert.DoesNotContain("node 'triple': address 'fd00:::1' is not inside", error, StringComparison.Ordinal);
        Assert.Equal(1, CountOf(error, "have the same address"));
        Assert.DoesNotContain("node 'clone1' is not in nodes", error, StringComparison.Ordinal);
        // hoshino refuses the same inputs.
        Assert.Throws<Hoshino.Addressing.AddressException>(() => AddressCases.HoshinoAddressOf("fd00::/64", "0000000000000000c05f7f48de53428f"));
        Assert.Throws<Hoshino.Addressing.AddressException>(() => AddressCases.HoshinoExplicitAddressOf("fd00::/64", "fd01::1"));
        Assert.Throws<Hoshino.Addressing.AddressException>(() => AddressCases.HoshinoExplicitAddressOf("fd00::/64", "fd00::"));
        Assert.Throws<Hoshino.Addressing.AddressException>(() => AddressCases.HoshinoExplicitAddressOf("fd00::/64", "fd00:::1"));
        Assert.Throws<Hoshino.Addressing.AddressException>(() => AddressCases.HoshinoAddressOf("fd00::1/64", "c05f7f48de53428f"));
    }

    [Fact]
    public async Task Render_MalformedInputs_RejectedByVariableValidation()
    {
        using TerraformWorkspace workspace = TerraformWorkspace.Create();
        Dictionary<string, NodeInput> One(NodeInput node) => new() { ["n"] = node };
        var networks = new Dictionary<string, NetworkInput>(StringComparer.Ordinal)
        {
            ["slash48"] = new(Bucket, "", "fd00::/48", One(new(MachineId: "c05f7f48de53428f"))),
            ["nothex"] = new(Bucket, "", AddressCases.DefaultPrefix, One(new(MachineId: "not-a-machine-id"))),
            ["short"] = new(Bucket, "", AddressCases.DefaultPrefix, One(new(MachineId: "0123456789abcde"))),
            ["zone"] = new(Bucket, "", AddressCases.DefaultPrefix, One(new(Address: "fd5e:59b8:f71d:9a3e::1%eth0"))),
            ["bucket"] = new("Not_A_Bucket", "", AddressCases.DefaultPrefix, One(new(MachineId: "c05f7f48de53428f"))),
            ["wildcard"] = new(Bucket, "net*", AddressCases.DefaultPrefix, One(new(MachineId: "c05f7f48de53428f"))),
        };

        TerraformResult apply = await NodePolicyRender.TryRenderAsync(workspace, networks);
        string error = Flatten(apply.Error);

        Assert.False(apply.Succeeded, "terraform accepted malformed inputs:\n" + apply.Output);
        Assert.Contains("network_prefix must be an IPv6 /64", error, StringComparison.Ordinal);
        Assert.Equal(2, CountOf(error, "Each machine_id must be hex digits"));
        Assert.Contains("Each address must be an IPv6 address", error, StringComparison.Ordinal);
        Assert.Contains("bucket must be a valid S3 bucket name", error, StringComparison.Ordinal);
        Assert.Contains("key_prefix may only contain", error, StringComparison.Ordinal);
    }

    /// <summary>
    /// Each policy names every node's inbox and doorbell, so it grows with the network: past IAM's
    /// limit for where it is attached, the plan stops with one message saying so, instead of IAM
    /// refusing the policy halfway through an apply. The limits are IAM's quotas: 6,144 characters
    /// for a managed policy (a user node's), 10,240 for a role's inline policies together.
    /// </summary>
    [Fact]
    public async Task Render_PolicyLongerThanItsAttachmentTakes_RefusedNamingTheLimit()
    {
        using TerraformWorkspace workspace = TerraformWorkspace.Create();
        const string LongBucket = "hoshino-123456789012-net1"; // the README's figures are for this bucket and key prefix
        Dictionary<string, NodeInput> Fleet(int count) => Enumerable.Range(0, count).ToDictionary(
            i => $"n{i}", i => new NodeInput(MachineId: $"c05f7f48de53{4096 + i:x4}0123456789abcdef"));
        IReadOnlyDictionary<string, RenderedNetwork> fits = await NodePolicyRender.RenderAsync(workspace, new Dictionary<string, NetworkInput>
        {
            ["managed19"] = new(LongBucket, "net1/", AddressCases.DefaultPrefix, Fleet(19), Attachment: "managed"),
            ["role37"] = new(LongBucket, "net1/", AddressCases.DefaultPrefix, Fleet(37), Attachment: "role-inline"),
            ["unchecked"] = new(LongBucket, "net1/", AddressCases.DefaultPrefix, Fleet(60), Attachment: "none"),
        });

        TerraformResult tooMany = await NodePolicyRender.TryRenderAsync(workspace, new Dictionary<string, NetworkInput>
        {
            ["managed20"] = new(LongBucket, "net1/", AddressCases.DefaultPrefix, Fleet(20), Attachment: "managed"),
            ["role38"] = new(LongBucket, "net1/", AddressCases.DefaultPrefix, Fleet(38), Attachment: "role-inline"),
            ["user3"] = new(LongBucket, "net1/", AddressCases.DefaultPrefix, Fleet(3), Attachment: "user-inline"),
        });
        string error = Flatten(tooMany.Error);

        Assert.InRange(fits["managed19"].Nodes.Values.Max(n => n.PolicyLength), 5_000, 6_144);
        Assert.InRange(fits["role37"].Nodes.Values.Max(n => n.PolicyLength), 9_000, 10_240);
        Assert.True(fits["unchecked"].Nodes.Values.Max(n => n.PolicyLength) > 10_240, "60 nodes make a policy longer than any IAM takes");
        Assert.False(tooMany.Succeeded, "terraform accepted policies longer than IAM takes:\n" + tooMany.Output);
        Assert.Contains("with 20 nodes the longest is", error, StringComparison.Ordinal);
        Assert.Contains("over IAM's limit for a managed policy (6144): use fewer nodes per network", error, StringComparison.Ordinal);
        Assert.Contains("with 38 nodes the longest is", error, StringComparison.Ordinal);
        Assert.Contains("over IAM's limit for a role's inline policies together (10240)", error, StringComparison.Ordinal);
        Assert.Contains("with 3 nodes the longest is", error, StringComparison.Ordinal);
        Assert.Contains("over IAM's limit for a user's inline policies together (2048)", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/net1/", "net1/")]
    [InlineData("", "")]
    [InlineData("a/b", "a/b/")]
    public async Task Policy_Rendered_AllowsExactlyHoshinosRequestsOnItsOwnNames(string keyPrefix, string normalized)
    {
        using TerraformWorkspace workspace = TerraformWorkspace.Create();
        IReadOnlyDictionary<string, RenderedNetwork> rendered = await NodePolicyRender.RenderAsync(workspace,
            new Dictionary<string, NetworkInput>
            {
                ["net"] = new(Bucket, keyPrefix, AddressCases.DefaultPrefix, new Dictionary<string, NodeInput>
                {
                    ["a"] = new(MachineId: "c05f7f48de53428f0123456789abcdef"),
                    ["b"] = new(Address: "fd5e:59b8:f71d:9a3e::b0"),
                }),
            });
        RenderedNetwork network = rendered["net"];
        string[] peers = ["fd5e:59b8:f71d:9a3e::b0", "fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f"]; // ordinal order, as the module sorts them

        Assert.Equal(normalized, network.KeyPrefix);
        foreach ((string name, string address) in new[] { ("a", "fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f"), ("b", "fd5e:59b8:f71d:9a3e::b0") })
        {
            RenderedNode node = network.Nodes[name];
            Assert.Equal(address, node.Address);
            Assert.Equal($"{normalized}{address}/", node.InboxPrefix);
            string inboxes = string.Join(", ", peers.Select(p => $"\"arn:aws:s3:::{Bucket}/{normalized}{p}/{address}/*\""));
            string doorbells = string.Join(", ", peers.Select(p => $"\"arn:aws:s3:::{Bucket}/{normalized}{p}/doorbell\""));
            JsonNode expected = JsonNode.Parse($$"""
                {
                  "Version": "2012-10-17",
                  "Statement": [
                    { "Sid": "SendAsSelfIntoEachInbox", "Effect": "Allow", "Action": ["s3:PutObject"],
                      "Resource": [{{inboxes}}] },
                    { "Sid": "RingEachDoorbell", "Effect": "Allow", "Action": ["s3:PutObject"],
                      "Resource": [{{doorbells}}] },
                    { "Sid": "ListOwnInbox", "Effect": "Allow", "Action": ["s3:ListBucket"],
                      "Resource": ["arn:aws:s3:::{{Bucket}}"],
                      "Condition": { "StringEquals": { "s3:prefix": ["{{normalized}}{{address}}/", "{{normalized}}directory/"] } } },
                    { "Sid": "ReceiveFromOwnInbox", "Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"],
                      "Resource": ["arn:aws:s3:::{{Bucket}}/{{normalized}}{{address}}/*"] },
                    { "Sid": "PublishOwnRecord", "Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"],
                      "Resource": ["arn:aws:s3:::{{Bucket}}/{{normalized}}directory/{{address}}"] },
                    { "Sid": "ReadDirectory", "Effect": "Allow", "Action": ["s3:GetObject"],
                      "Resource": ["arn:aws:s3:::{{Bucket}}/{{normalized}}directory/*"] },
                    { "Sid": "DenyStorageClassOtherThanStandard", "Effect": "Deny", "Action": ["s3:PutObject"],
                      "Resource": ["arn:aws:s3:::{{Bucket}}/*"],
                      "Condition": { "StringNotEquals": { "s3:x-amz-storage-class": ["STANDARD"] }, "StringLike": { "s3:x-amz-storage-class": ["*"] } } },
                    { "Sid": "DenyEncryptionOtherThanSseS3", "Effect": "Deny", "Action": ["s3:PutObject"],
                      "Resource": ["arn:aws:s3:::{{Bucket}}/*"],
                      "Condition": { "StringNotEquals": { "s3:x-amz-server-side-encryption": ["AES256"] }, "StringLike": { "s3:x-amz-server-side-encryption": ["*"] } } },
                    { "Sid": "DenyCustomerProvidedKeys", "Effect": "Deny", "Action": ["s3:PutObject"],
                      "Resource": ["arn:aws:s3:::{{Bucket}}/*"],
                      "Condition": { "StringLike": { "s3:x-amz-server-side-encryption-customer-algorithm": ["*"] } } },
                    { "Sid": "DenyCopy", "Effect": "Deny", "Action": ["s3:PutObject"],
                      "Resource": ["arn:aws:s3:::{{Bucket}}/*"],
                      "Condition": { "StringLike": { "s3:x-amz-copy-source": ["*"] } } }
                  ]
                }
                """)!;
            JsonNode actual = JsonNode.Parse(node.PolicyJson)!;
            Assert.True(JsonNode.DeepEquals(expected, actual), $"node {name}: rendered\n{actual}\nexpected\n{expected}");
            Assert.Equal(node.PolicyJson.Length, node.PolicyLength); // IAM's count: no whitespace in jsonencode's output
            Assert.DoesNotContain(node.PolicyJson, char.IsWhiteSpace);

            // Belt and braces on the document as a whole: four named S3 actions allowed, nothing else;
            // no wildcard in a resource except a trailing one.
            JsonArray statements = actual["Statement"]!.AsArray();
            JsonNode[] allows = [.. statements.Where(s => (string)s!["Effect"]! == "Allow").Select(s => s!)];
            string[] actions = [.. allows.SelectMany(s => s["Action"]!.AsArray().Select(a => (string)a!))];
            Assert.Equal(["s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"], actions.Distinct().Order(StringComparer.Ordinal));
            Assert.DoesNotContain(actions, a => a.Contains('*', StringComparison.Ordinal) || a.Contains("ListAllMyBuckets", StringComparison.Ordinal));
            Assert.All(statements, s => Assert.Contains((string)s!["Effect"]!, new[] { "Allow", "Deny" }));
            Assert.All(allows.SelectMany(s => s["Resource"]!.AsArray().Select(r => (string)r!)),
                r => Assert.DoesNotContain('*', r.TrimEnd('*')));
        }
        Assert.Equal(normalized.Length == 0 ? $"s3://{Bucket}" : $"s3://{Bucket}/{normalized}", network.StoreUri);
    }

    [Fact]
    public async Task EnvFile_Rendered_MakesHoshinoUseThePinnedAddress()
    {
        using TerraformWorkspace workspace = TerraformWorkspace.Create();
        IReadOnlyDictionary<string, RenderedNetwork> rendered = await NodePolicyRender.RenderAsync(workspace,
            new Dictionary<string, NetworkInput>
            {
                ["net"] = new(Bucket, "net1", "fd00:0:0:1::/64", new Dictionary<string, NodeInput>
                {
                    ["a"] = new(MachineId: "00005efe0a000001ffffffffffffffff"),
                }),
            });
        RenderedNode node = rendered["net"].Nodes["a"];
        string otherMachineId = workspace.WriteFile("machine-id", "c05f7f48de53428f0123456789abcdef\n");
        Dictionary<string, string> environment = ParseEnvFile(node.EnvFile);

        Assert.Equal(new Dictionary<string, string>
        {
            ["HOSHINO_STORE"] = $"s3://{Bucket}/net1/",
            ["HOSHINO_PREFIX"] = "fd00:0:0:1::/64",
            ["HOSHINO_ADDRESS"] = "fd00::1:0:5efe:10.0.0.1",
        }, environment);
        // The node reads only the file (as systemd's EnvironmentFile= would pass it): no flags, and a
        // machine-id that would give another address. The pinned address must win.
        environment["HOSHINO_MACHINE_ID_FILE"] = otherMachineId;
        (int code, string output) = await HoshinoProcess.RunAsync(["address"], environment: environment, timeout: TimeSpan.FromSeconds(30));
        Assert.True(code == 0, output);
        Assert.Equal(node.Address, output.Trim());
    }

    private string Rendered(string interfaceId, string prefix) =>
        cases.ModuleAddresses[cases.MachineIdCases.First(c => c.Prefix == prefix && c.Key[0] == 'e' && c.MachineId.StartsWith(interfaceId, StringComparison.Ordinal)).Key];

    /// <summary>KEY=value lines as systemd reads an EnvironmentFile: # comments and blank lines skipped.</summary>
    private static Dictionary<string, string> ParseEnvFile(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(eq > 0, $"not KEY=value: '{line}'");
            values[line[..eq]] = line[(eq + 1)..];
        }
        return values;
    }

    /// <summary>terraform wraps diagnostics to 78 columns; undo that so messages can be searched.</summary>
    private static string Flatten(string text) => Whitespace().Replace(text, " ");

    private static int CountOf(string text, string value) => Regex.Count(text, Regex.Escape(value));

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
