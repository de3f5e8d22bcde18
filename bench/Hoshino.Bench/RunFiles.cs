using System.Globalization;
using System.Text.Json;

namespace Hoshino.Bench;

/// <summary>The raw files bench/run.sh leaves in its work directory, read back for the report.</summary>
internal sealed class RunFiles(string directory)
{
    private static readonly string[] Operations = ["put", "list", "get", "head", "delete"];

    public Dictionary<string, string> Meta { get; } = File.ReadAllLines(Path.Combine(directory, "meta.env"))
        .Where(l => l.Contains('=', StringComparison.Ordinal))
        .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);

    private int ClockTicks => int.Parse(Meta.GetValueOrDefault("clk_tck", "100"), CultureInfo.InvariantCulture);

    public string? Text(string name)
    {
        string path = Path.Combine(directory, name);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    public FloorResult? Floor(string name) =>
        Text(name + ".json") is { } json ? JsonSerializer.Deserialize<FloorResult>(json, Json.Options) : null;

    public Snapshot? Snap(string name) =>
        Directory.Exists(Path.Combine(directory, "snap", name)) ? new Snapshot(Path.Combine(directory, "snap", name), ClockTicks) : null;

    public IEnumerable<Snapshot> Snapshots() =>
        new DirectoryInfo(Path.Combine(directory, "snap")).GetDirectories().Select(d => new Snapshot(d.FullName, ClockTicks));

    public Delta? Between(string start, string end) =>
        Snap(start) is { } s && Snap(end) is { } e ? new Delta(s, e) : null;

    /// <summary>One iperf3 run: goodput as the receiver counted it, and the counters around it.</summary>
    public BulkRun? Bulk(string name)
    {
        string iperf = name.Replace("bulk", "iperf-", StringComparison.Ordinal);
        if (Text(iperf + ".json") is not { } json || Between(name + "-start", name + "-end") is not { } delta)
        {
            return null;
        }
        try
        {
            JsonElement end = JsonDocument.Parse(json).RootElement.GetProperty("end");
            JsonElement received = end.GetProperty("sum_received");
            long retransmits = end.GetProperty("sum_sent").TryGetProperty("retransmits", out JsonElement r) ? r.GetInt64() : 0;
            // Per-stream sender figures (Linux): the RTT and window TCP itself measured through the tunnel.
            var senders = end.GetProperty("streams").EnumerateArray().Select(st => st.GetProperty("sender")).ToList();
            double Stat(string name, Func<IEnumerable<double>, double> combine) =>
                senders.All(x => x.TryGetProperty(name, out _)) ? combine(senders.Select(x => x.GetProperty(name).GetDouble())) : double.NaN;
            return new BulkRun((long)received.GetProperty("bytes").GetDouble(), received.GetProperty("bits_per_second").GetDouble() / 8 / (1 << 20),
                retransmits, delta, Stat("mean_rtt", v => v.Average()) / 1000, Stat("max_rtt", v => v.Max()) / 1000, Stat("max_snd_cwnd", v => v.Max()));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    public string IperfError(string name)
    {
        string? json = Text(name);
        if (json is null)
        {
            return "no output";
        }
        try
        {
            return JsonDocument.Parse(json).RootElement.TryGetProperty("error", out JsonElement e) ? e.GetString() ?? "?" : "no summary";
        }
        catch (JsonException)
        {
            return json.Length > 200 ? json[..200] : json;
        }
    }

    /// <summary>BenchmarkDotNet's GitHub-flavoured table(s), without the environment preamble.</summary>
    public string? MicroReport()
    {
        string results = Path.Combine(directory, "micro", "results");
        if (!Directory.Exists(results))
        {
            return null;
        }
        var tables = new List<string>();
        string? environment = null;
        foreach (string file in Directory.GetFiles(results, "*-report-github.md").Order(StringComparer.Ordinal))
        {
            string text = File.ReadAllText(file);
            int table = text.IndexOf("\n|", StringComparison.Ordinal);
            if (table < 0)
            {
                continue;
            }
            environment ??= string.Join(' ', text[..table].Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("```", StringComparison.Ordinal)));
            tables.Add(text[(table + 1)..].Trim());
        }
        return tables.Count == 0 ? null : $"{environment}\n\n{string.Join("\n\n", tables)}";
    }

    /// <summary>Both daemons' /metrics, /proc/PID/stat and /proc/PID/status, and the store's CPU, at one moment.</summary>
    public sealed class Snapshot
    {
        private readonly string _directory;
        private readonly int _clockTicks;
        private readonly Dictionary<string, Dictionary<string, double>> _metrics = [];

        public Snapshot(string directory, int clockTicks)
        {
            _directory = directory;
            _clockTicks = clockTicks;
            Time = double.Parse(File.ReadAllText(Path.Combine(directory, "time")).Trim(), CultureInfo.InvariantCulture);
        }

        public double Time { get; }

        public double Metric(string node, string name, string labels = "")
        {
            if (!_metrics.TryGetValue(node, out Dictionary<string, double>? values))
            {
                values = ParsePrometheus(File.ReadAllText(Path.Combine(_directory, node + ".metrics")));
                _metrics[node] = values;
            }
            return values.GetValueOrDefault(labels.Length == 0 ? name : $"{name}{{{labels}}}", double.NaN);
        }

        /// <summary>CPU seconds of a process in this snapshot; 0 for one that was not running (the delay proxy outside its profile).</summary>
        public double Cpu(string process) =>
            File.Exists(Path.Combine(_directory, process + ".stat"))
                ? ProcStat.CpuSecondsOf(File.ReadAllText(Path.Combine(_directory, process + ".stat")), _clockTicks)
                : 0;

        /// <summary>Busy CPU seconds of the whole machine (all of /proc/stat's "cpu" line but idle and iowait).</summary>
        public double MachineBusy()
        {
            string path = Path.Combine(_directory, "machine.stat");
            if (!File.Exists(path))
            {
                return double.NaN;
            }
            long[] f = [.. File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(x => long.Parse(x, CultureInfo.InvariantCulture))];
            return (f.Sum() - f[3] - f[4]) / (double)_clockTicks;
        }

        public double Status(string node, string field) => ProcStat.StatusBytes(File.ReadAllText(Path.Combine(_directory, node + ".status")), field);

        private static Dictionary<string, double> ParsePrometheus(string text)
        {
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (string line in text.Split('\n'))
            {
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }
                int space = line.LastIndexOf(' ');
                if (space > 0 && double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                {
                    values[line[..space]] = value;
                }
            }
            return values;
        }
    }

    /// <summary>What changed between two snapshots.</summary>
    public sealed class Delta(Snapshot start, Snapshot end)
    {
        public Snapshot Start => start;
        public Snapshot End => end;
        public double Seconds => end.Time - start.Time;

        public double Counter(string node, string name, string labels = "") => end.Metric(node, name, labels) - start.Metric(node, name, labels);

        public double Requests(string node, string operation) => Counter(node, "hoshino_s3_requests_total", $"operation=\"{operation}\"");

        public double AllRequests(string node) => Operations.Sum(op => Requests(node, op));

        public double Dollars(string node) => Operations.Sum(op => Requests(node, op) * Report.Price(op));

        /// <summary>Packets both daemons wrote into their TUN devices.</summary>
        public double Delivered() =>
            Counter("a", "hoshino_packets_total", "direction=\"ingress\"") + Counter("b", "hoshino_packets_total", "direction=\"ingress\"");

        public double Cpu(string process) => end.Cpu(process) - start.Cpu(process);

        public double StoreCpu() => Cpu("rgw") + Cpu("osd") + Cpu("mon");

        /// <summary>"cores busy: daemons x, store y" over the interval.</summary>
        /// <remarks>
        /// The machine-wide busy time from /proc/stat is kept in the snapshots but not used: on this VM
        /// it read lower than the sum of our own processes' utime + stime.
        /// </remarks>
        public string CpuShare()
        {
            double daemons = (Cpu("a") + Cpu("b")) / Seconds, store = StoreCpu() / Seconds, proxy = Cpu("proxy") / Seconds;
            return string.Create(CultureInfo.InvariantCulture,
                $"cores busy: daemons {daemons:F2}, store {store:F2}{(proxy > 0 ? $", delay proxy {proxy:F2}" : "")} of {Environment.ProcessorCount}");
        }
    }
}

internal sealed record BulkRun(long GoodputBytes, double GoodputMibPerSecond, long Retransmits, RunFiles.Delta Delta,
    double MeanRttMs, double MaxRttMs, double MaxCwndBytes);
