using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hoshino.IntegrationTests.EndToEnd;
using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.IntegrationTests.Linux;

namespace Hoshino.IntegrationTests.Deploy;

/// <summary>
/// deploy/grafana: the alert rules pass promtool (syntax and their own unit tests), the dashboard's
/// queries are PromQL, and every metric either one reads is on the /metrics page of a real running
/// node, with a type that fits how it is read.
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class MonitoringTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string RulesFile => RepositoryFiles.File("deploy", "grafana", "hoshino-alerts.yml");
    private static string RulesTestFile => RepositoryFiles.File("deploy", "grafana", "hoshino-alerts.test.yml");
    private static string DashboardFile => RepositoryFiles.File("deploy", "grafana", "hoshino-dashboard.json");
    private static string Promtool => RepositoryFiles.Tool("promtool", "prometheus");

    // Series that Prometheus itself writes for every scrape target; no node exports them.
    private static readonly HashSet<string> WrittenByPrometheus = ["up", "scrape_duration_seconds", "scrape_samples_scraped"];

    [Fact]
    public async Task AlertRules_PromtoolCheck_FindsEveryRule()
    {
        List<string> expressions = RuleExpressions(await File.ReadAllTextAsync(RulesFile, Ct));
        Assert.True(expressions.Count >= 4, $"only {expressions.Count} rules read from {RulesFile}");

        ShellResult check = await Shell.RunAsync(Promtool, ["check", "rules", RulesFile], TimeSpan.FromSeconds(60), cancellationToken: Ct);

        Assert.True(check.Succeeded, check.StandardOutput + check.StandardError);
        // promtool counts the rules it parsed: the same as this test reads, so none is skipped below.
        Assert.Contains($"SUCCESS: {expressions.Count} rules found", check.StandardOutput + check.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlertRules_PromtoolUnitTests_PassAndCoverEveryAlert()
    {
        string rules = await File.ReadAllTextAsync(RulesFile, Ct);
        string tests = await File.ReadAllTextAsync(RulesTestFile, Ct);
        List<string> alerts = [.. AlertName().Matches(rules).Select(m => m.Groups[1].Value)];
        Assert.Contains("HoshinoStoreRejectsRequests", alerts);
        Assert.Contains("HoshinoRejectedObjectsRising", alerts);
        Assert.Contains("HoshinoAddressConflict", alerts);
        Assert.Contains("HoshinoCostRateHigh", alerts);
        foreach (string alert in alerts)
        {
            Assert.True(tests.Contains($"alertname: {alert}\n", StringComparison.Ordinal), $"{RulesTestFile} has no test for {alert}");
        }

        ShellResult run = await Shell.RunAsync(Promtool, ["test", "rules", RulesTestFile], TimeSpan.FromSeconds(60), cancellationToken: Ct);

        Assert.True(run.Succeeded, run.StandardOutput + run.StandardError);
        Assert.Contains("SUCCESS", run.StandardOutput + run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_EveryQuery_IsValidPromQl()
    {
        List<(string Where, string Expr)> queries = DashboardQueries(await File.ReadAllTextAsync(DashboardFile, Ct));
        Assert.True(queries.Count >= 20, $"only {queries.Count} queries in {DashboardFile}");
        // promtool has no "check this expression"; a rule file of recording rules, one per query,
        // with Grafana's variables given values, is checked by the same PromQL parser Prometheus runs.
        var file = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        for (int i = 0; i < queries.Count; i++)
        {
            file.Append($"      - record: dashboard:query_{i}\n        expr: {JsonSerializer.Serialize(WithGrafanaVariables(queries[i].Expr))}\n");
        }
        string dir = Directory.CreateTempSubdirectory("hoshino-dashboard-").FullName;
        try
        {
            string path = Path.Combine(dir, "dashboard-queries.yml");
            await File.WriteAllTextAsync(path, file.ToString(), Ct);

            ShellResult check = await Shell.RunAsync(Promtool, ["check", "rules", path], TimeSpan.FromSeconds(60), cancellationToken: Ct);

            Assert.True(check.Succeeded, $"{check.StandardOutput}{check.StandardError}\n{file}");
            Assert.Contains($"SUCCESS: {queries.Count} rules found", check.StandardOutput + check.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Dashboard_Panels_UseTheDatasourceVariableAndUniqueIds()
    {
        JsonNode dashboard = JsonNode.Parse(await File.ReadAllTextAsync(DashboardFile, Ct))!;
        List<JsonNode> panels = [.. AllPanels(dashboard)];
        var variables = dashboard["templating"]!["list"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("datasource", variables);
        Assert.Contains("instance", variables);

        Assert.Equal(panels.Count, panels.Select(p => p["id"]!.GetValue<int>()).Distinct().Count());
        foreach (JsonNode panel in panels.Where(p => p["type"]!.GetValue<string>() != "row"))
        {
            string title = panel["title"]!.GetValue<string>();
            Assert.Equal("${datasource}", panel["datasource"]?["uid"]?.GetValue<string>());
            JsonArray targets = panel["targets"]!.AsArray();
            Assert.NotEmpty(targets);
            Assert.Equal(targets.Count, targets.Select(t => t!["refId"]!.GetValue<string>()).Distinct().Count());
            JsonNode grid = panel["gridPos"]!;
            Assert.True(grid["x"]!.GetValue<int>() + grid["w"]!.GetValue<int>() <= 24, $"panel '{title}' is wider than the dashboard");
            Assert.False(string.IsNullOrWhiteSpace(panel["description"]?.GetValue<string>()), $"panel '{title}' has no description");
        }
    }

    [Fact]
    public async Task DashboardAndRules_EveryMetric_IsOnARunningNodesPage()
    {
        var uses = new List<(string Where, string Expr)>();
        uses.AddRange(RuleExpressions(await File.ReadAllTextAsync(RulesFile, Ct)).Select(e => ("alert rules", e)));
        uses.AddRange(DashboardQueries(await File.ReadAllTextAsync(DashboardFile, Ct)));
        Assert.True(uses.Count >= 25, $"only {uses.Count} expressions read");

        MetricsPage page = MetricsPage.Parse(await RunningNodePage.Value);
        Assert.Contains("hoshino_build_info", page.SampleNames); // the page is the node's

        var problems = new List<string>();
        var used = new SortedSet<string>(StringComparer.Ordinal);
        foreach ((string where, string expr) in uses)
        {
            foreach (string name in PromQl.MetricNames(expr).Where(n => !WrittenByPrometheus.Contains(n)))
            {
                used.Add(name);
                if (!page.SampleNames.Contains(name))
                {
                    problems.Add($"{where}: {name} is not on the node's /metrics page ({expr})");
                }
            }
            foreach (string function in (string[])["rate", "irate", "increase"])
            {
                foreach (string argument in PromQl.Arguments(expr, function))
                {
                    problems.AddRange(PromQl.MetricNames(argument).Where(n => page.SampleNames.Contains(n) && !page.IsCounterLike(n))
                        .Select(n => $"{where}: {function}() of {n}, a {page.TypeOf(n) ?? "untyped"}, not a counter ({expr})"));
                }
            }
            foreach (string argument in PromQl.Arguments(expr, "histogram_quantile"))
            {
                problems.AddRange(PromQl.MetricNames(argument).Where(n => !n.EndsWith("_bucket", StringComparison.Ordinal) || page.TypeOf(n) != "histogram")
                    .Select(n => $"{where}: histogram_quantile() of {n}, which is not a histogram's _bucket series ({expr})"));
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        // What the task asks the dashboard and the alerts to cover is really read.
        foreach (string expected in (string[])["hoshino_packets_total", "hoshino_bytes_total", "hoshino_s3_requests_total", "hoshino_s3_errors_total",
                     "hoshino_s3_request_duration_seconds_bucket", "hoshino_s3_estimated_cost_dollars_total", "hoshino_dropped_packets_total",
                     "hoshino_rejected_objects_total", "hoshino_heartbeat_interval_seconds", "hoshino_address_conflict", "process_resident_memory_bytes"])
        {
            Assert.Contains(expected, used);
        }
    }

    [Fact]
    public async Task MetricsPage_RunningNode_HasThePinnedShape()
    {
        string pinned = await File.ReadAllTextAsync(
            RepositoryFiles.File("tests", "Hoshino.UnitTests", "Diagnostics", Hoshino.UnitTests.Diagnostics.MetricsExposition.FileName), Ct);

        string shape = Hoshino.UnitTests.Diagnostics.MetricsExposition.Shape(await RunningNodePage.Value);

        Assert.True(pinned == shape,
            $"a running node's /metrics differs from the pinned shape: {Hoshino.UnitTests.Diagnostics.MetricsExposition.FirstDifference(pinned, shape)}");
    }

    [Theory]
    [InlineData("sum by (instance, reason) (increase(hoshino_rejected_objects_total{reason!~\"too_old|by\"}[10m])) > 10",
        "hoshino_rejected_objects_total")]
    [InlineData("histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket{instance=~\"$instance\"}[$__rate_interval])))", "x_seconds_bucket")]
    [InlineData("sum(rate(a_total[5m])) without (job) / on (instance) group_left (version) b_info", "a_total b_info")]
    [InlineData("up{job=\"hoshino\"} == 0 and ignoring (x) c offset 5m unless bool d:recorded:rate5m", "c d:recorded:rate5m up")]
    [InlineData("max_over_time(g[1h:5m]) * 1e3 + 0x1f - Inf + NaN > ${threshold}", "g")]
    [InlineData("count(count by (version) (hoshino_build_info))", "hoshino_build_info")]
    public void MetricNames_Expression_ReadsOnlyTheMetrics(string expression, string expected)
    {
        Assert.Equal(expected.Split(' '), PromQl.MetricNames(expression));
    }

    [Fact]
    public void Arguments_NestedCalls_ReturnsEachCallsWholeArgument()
    {
        List<string> arguments = PromQl.Arguments("rate(a[5m]) / ignoring(x) sum(rate(b{l=\"rate(\"}[1m]))", "rate");

        Assert.Equal(["a[5m]", "b{l=\"\"}[1m]"], arguments);
    }

    [Fact]
    public void TypeOf_HistogramAndCounterSeries_FindsTheirFamilies()
    {
        MetricsPage page = MetricsPage.Parse("""
            # TYPE h_seconds histogram
            h_seconds_bucket{le="1"} 0
            h_seconds_sum 0
            h_seconds_count 0
            # TYPE c_total counter
            c_total 1
            # TYPE om counter
            om_total 1
            # TYPE g gauge
            g 2
            """);

        Assert.Equal(["c_total", "g", "h_seconds_bucket", "h_seconds_count", "h_seconds_sum", "om_total"], page.SampleNames.Order(StringComparer.Ordinal));
        Assert.True(page.IsCounterLike("h_seconds_bucket"));
        Assert.True(page.IsCounterLike("c_total"));
        Assert.True(page.IsCounterLike("om_total"));
        Assert.False(page.IsCounterLike("g"));
    }

    /// <summary>One running node's page, read once for the tests of this class that need one.</summary>
    private static readonly Lazy<Task<string>> RunningNodePage = new(RunningNodeMetricsAsync);

    /// <summary>Starts a real node (dir: store, its own network namespace) and returns its /metrics page.</summary>
    private static async Task<string> RunningNodeMetricsAsync()
    {
        string dir = Directory.CreateTempSubdirectory("hoshino-monitoring-").FullName;
        try
        {
            using TestNetworkNamespace ns = TestNetworkNamespace.Create();
            await Shell.IpAsync("-n", ns.Name, "link", "set", "lo", "up"); // a new namespace's loopback is down
            string bucket = Directory.CreateDirectory(Path.Combine(dir, "bucket")).FullName;
            string machineId = Path.Combine(dir, "machine-id");
            await File.WriteAllTextAsync(machineId, "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e\n", Ct);
            await using HoshinoProcess node = HoshinoProcess.Start(
                ["up", "--store", "dir:" + bucket, "--machine-id-file", machineId, "--metrics-listen", "[::1]:8081"], ns.Name);
            await node.WaitReadyAsync(TimeSpan.FromSeconds(30));

            string page = await Netns.HttpGetAsync(ns.Name, "http://[::1]:8081/metrics");

            node.Terminate();
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(20)));
            return page;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Every <c>expr:</c> of a Prometheus rule file: one line, or a <c>|</c>/<c>&gt;</c> block.</summary>
    private static List<string> RuleExpressions(string yaml)
    {
        string[] lines = yaml.Split('\n');
        var expressions = new List<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            Match m = ExprLine().Match(lines[i]);
            if (!m.Success)
            {
                continue;
            }
            string value = m.Groups["value"].Value.Trim();
            if (value is "|" or ">" or "|-" or ">-")
            {
                int indent = m.Groups["indent"].Length;
                var block = new StringBuilder();
                while (i + 1 < lines.Length && (lines[i + 1].Trim().Length == 0 || lines[i + 1].Length - lines[i + 1].TrimStart().Length > indent))
                {
                    block.AppendLine(lines[++i].Trim());
                }
                value = block.ToString().Trim();
            }
            else if (value.Length >= 2 && value[0] is '"' or '\'' && value[^1] == value[0])
            {
                value = value[0] == '"' ? JsonSerializer.Deserialize<string>(value)! : value[1..^1].Replace("''", "'", StringComparison.Ordinal);
            }
            expressions.Add(value);
        }
        return expressions;
    }

    /// <summary>Every panel query and template-variable query of the dashboard, with where it is.</summary>
    private static List<(string Where, string Expr)> DashboardQueries(string json)
    {
        JsonNode dashboard = JsonNode.Parse(json)!;
        var queries = new List<(string, string)>();
        foreach (JsonNode panel in AllPanels(dashboard))
        {
            foreach (JsonNode? target in panel["targets"]?.AsArray() ?? [])
            {
                if (target?["expr"]?.GetValue<string>() is { Length: > 0 } expr)
                {
                    queries.Add(($"panel '{panel["title"]}' {target["refId"]}", expr));
                }
            }
        }
        foreach (JsonNode? variable in dashboard["templating"]?["list"]?.AsArray() ?? [])
        {
            if (variable?["type"]?.GetValue<string>() != "query")
            {
                continue;
            }
            JsonNode query = variable["query"]!;
            string text = query is JsonObject ? query["query"]!.GetValue<string>() : query.GetValue<string>();
            foreach (string name in PromQl.VariableQueryMetricNames(text))
            {
                queries.Add(($"variable ${variable["name"]}", name)); // a bare selector is PromQL too
            }
        }
        return queries;
    }

    private static IEnumerable<JsonNode> AllPanels(JsonNode dashboard)
    {
        foreach (JsonNode? panel in dashboard["panels"]!.AsArray())
        {
            yield return panel!;
            foreach (JsonNode? inner in panel!["panels"]?.AsArray() ?? [])
            {
                yield return inner!;
            }
        }
    }

    private static string WithGrafanaVariables(string expr) => expr
        .Replace("$__rate_interval", "5m", StringComparison.Ordinal)
        .Replace("$__interval", "1m", StringComparison.Ordinal)
        .Replace("$__range", "6h", StringComparison.Ordinal)
        .Replace("$instance", ".*", StringComparison.Ordinal);

    [GeneratedRegex(@"^(?<indent>\s*)(?:-\s+)?expr:\s*(?<value>.*)$")]
    private static partial Regex ExprLine();

    [GeneratedRegex(@"^\s*-\s+alert:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex AlertName();
}
