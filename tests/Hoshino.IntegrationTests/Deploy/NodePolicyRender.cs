using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hoshino.IntegrationTests.Deploy;

/// <summary>One node given to <c>modules/node-policy</c>: by machine-id or by address.</summary>
internal sealed record NodeInput(string? MachineId = null, string? Address = null);

/// <summary>
/// One instance of <c>modules/node-policy</c>: a network and its nodes; <paramref name="Attachment"/>
/// and <paramref name="RequiredNodes"/> as the module's variables (null: the module's default).
/// </summary>
internal sealed record NetworkInput(string Bucket, string KeyPrefix, string NetworkPrefix, IReadOnlyDictionary<string, NodeInput> Nodes,
    string? Attachment = null, IReadOnlyList<string>? RequiredNodes = null);

/// <summary>What <c>modules/node-policy</c> rendered for one node.</summary>
internal sealed record RenderedNode(string Address, string InboxPrefix, string PolicyJson, int PolicyLength,
    IReadOnlyDictionary<string, string> Environment, string EnvFile);

/// <summary>What <c>modules/node-policy</c> rendered for one network.</summary>
internal sealed record RenderedNetwork(string KeyPrefix, string StoreUri, IReadOnlyDictionary<string, RenderedNode> Nodes);

/// <summary>
/// Renders <c>deploy/terraform/modules/node-policy</c> with the real terraform CLI, offline: a root
/// module with one module instance per network, <c>terraform init</c> (local modules only, no
/// provider), <c>terraform apply</c> (no resources: it only evaluates and records the outputs), and
/// <c>terraform output -json</c>. One instance holds many nodes, so hundreds of addresses cost about
/// a second.
/// </summary>
internal static class NodePolicyRender
{
    private const string RootModule = """
        variable "networks" {
          type = map(object({
            bucket         = string
            key_prefix     = string
            network_prefix = string
            nodes = map(object({
              machine_id = optional(string)
              address    = optional(string)
            }))
            attachment     = optional(string)
            required_nodes = optional(list(string))
          }))
        }

        module "network" {
          source   = "../terraform/modules/node-policy"
          for_each = var.networks

          bucket         = each.value.bucket
          key_prefix     = each.value.key_prefix
          network_prefix = each.value.network_prefix
          nodes          = each.value.nodes
          attachment     = each.value.attachment
          required_nodes = each.value.required_nodes
        }

        output "networks" {
          value = { for name, m in module.network : name => { key_prefix = m.key_prefix, store_uri = m.store_uri, nodes = m.nodes } }
        }
        """;

    /// <summary>Renders <paramref name="networks"/>; fails the test if terraform does.</summary>
    public static async Task<IReadOnlyDictionary<string, RenderedNetwork>> RenderAsync(
        TerraformWorkspace workspace, IReadOnlyDictionary<string, NetworkInput> networks)
    {
        TerraformResult applied = await TryRenderAsync(workspace, networks);
        applied.EnsureSuccess();
        TerraformResult output = (await workspace.RunAsync("render", "output", "-json", "networks")).EnsureSuccess();
        return Parse(output.Output);
    }

    /// <summary>Writes the root module and variables and runs init and apply; returns apply's result, whatever it is.</summary>
    public static async Task<TerraformResult> TryRenderAsync(TerraformWorkspace workspace, IReadOnlyDictionary<string, NetworkInput> networks)
    {
        workspace.WriteFile("render/main.tf", RootModule);
        workspace.WriteFile("render/networks.auto.tfvars.json", VariablesJson(networks));
        (await workspace.RunAsync("render", "init", "-input=false", "-no-color")).EnsureSuccess();
        return await workspace.RunAsync("render", "apply", "-auto-approve", "-input=false", "-no-color");
    }

    private static string VariablesJson(IReadOnlyDictionary<string, NetworkInput> networks)
    {
        var root = new JsonObject();
        foreach ((string name, NetworkInput network) in networks)
        {
            var nodes = new JsonObject();
            foreach ((string node, NodeInput input) in network.Nodes)
            {
                nodes[node] = new JsonObject { ["machine_id"] = input.MachineId, ["address"] = input.Address };
            }
            root[name] = new JsonObject
            {
                ["bucket"] = network.Bucket,
                ["key_prefix"] = network.KeyPrefix,
                ["network_prefix"] = network.NetworkPrefix,
                ["nodes"] = nodes,
                ["attachment"] = network.Attachment,
                ["required_nodes"] = network.RequiredNodes is null ? null : new JsonArray([.. network.RequiredNodes.Select(n => JsonValue.Create(n))]),
            };
        }
        return new JsonObject { ["networks"] = root }.ToJsonString();
    }

    private static Dictionary<string, RenderedNetwork> Parse(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        var networks = new Dictionary<string, RenderedNetwork>(StringComparer.Ordinal);
        foreach (JsonProperty network in document.RootElement.EnumerateObject())
        {
            var nodes = new Dictionary<string, RenderedNode>(StringComparer.Ordinal);
            foreach (JsonProperty node in network.Value.GetProperty("nodes").EnumerateObject())
            {
                JsonElement n = node.Value;
                nodes[node.Name] = new RenderedNode(
                    n.GetProperty("address").GetString()!,
                    n.GetProperty("inbox_prefix").GetString()!,
                    n.GetProperty("policy_json").GetString()!,
                    n.GetProperty("policy_length").GetInt32(),
                    n.GetProperty("environment").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal),
                    n.GetProperty("env_file").GetString()!);
            }
            networks[network.Name] = new RenderedNetwork(
                network.Value.GetProperty("key_prefix").GetString()!,
                network.Value.GetProperty("store_uri").GetString()!,
                nodes);
        }
        return networks;
    }
}
