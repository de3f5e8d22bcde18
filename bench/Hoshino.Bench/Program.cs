using Hoshino.Bench;

// hoshino-bench floor|scale|report|delay-proxy [--name value ...]; bench/run.sh is the one caller.
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: hoshino-bench floor|scale|report|delay-proxy [--name value ...] (run by bench/run.sh)");
    return 2;
}
try
{
    var options = Args.Parse(args.AsSpan(1));
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
    return args[0] switch
    {
        "floor" => await Floor.RunAsync(options, stop.Token),
        "scale" => await Scale.RunAsync(options, stop.Token),
        "report" => Report.Run(options),
        "delay-proxy" => await DelayProxy.RunAsync(options, stop.Token),
        _ => throw new ArgumentException($"unknown command '{args[0]}' (floor, scale, report)"),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"hoshino-bench: {ex.Message}");
    return 2;
}
