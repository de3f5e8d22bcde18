using Hoshino.Egress;
using Hoshino.Ingress;

namespace Hoshino.Node;

/// <summary>One setting that cannot work, named by its option's property path (e.g. <c>Ingress.PollMax</c>).</summary>
public readonly record struct ConfigProblem(string Setting, string Problem);

/// <summary>
/// Everything that makes a node's options unworkable, each setting and each relation between
/// settings checked in one place: the CLI reports them with its flag names, and tests and the bench
/// get the same checks. Times are shown in the shortest exact unit.
/// </summary>
public static class NodeConfigProblems
{
    public static IReadOnlyList<ConfigProblem> Of(IngressOptions ingress, EgressOptions egress)
    {
        var problems = new List<ConfigProblem>();
        void Positive(string setting, TimeSpan value)
        {
            if (value <= TimeSpan.Zero)
            {
                problems.Add(new(setting, "must be longer than zero"));
            }
        }
        Positive("Ingress.PollMin", ingress.PollMin);
        Positive("Ingress.PollMax", ingress.PollMax);
        Positive("Ingress.ListMax", ingress.ListMax);
        Positive("Ingress.MaxPacketAge", ingress.MaxPacketAge);
        Positive("Egress.RingAfter", egress.RingAfter);
        if (ingress.PollMax < ingress.PollMin)
        {
            problems.Add(new("Ingress.PollMax", $"must not be shorter than {{Ingress.PollMin}} ({Show(ingress.PollMin)})"));
        }
        if (egress.RingAfter >= ingress.Linger)
        {
            // A receiver lingers at full rate for Linger after it found work; a sender that rings only
            // after a longer quiet spell would send bundles into a receiver that has gone idle unrung.
            problems.Add(new("Egress.RingAfter", $"({Show(egress.RingAfter)}) must be shorter than the receivers' linger ({Show(ingress.Linger)})"));
        }
        if (ingress.MaxBytesInFlight < ingress.MaxObjectBytes || ingress.MaxConcurrentGets < 1 || ingress.ListLimit < 1)
        {
            problems.Add(new("Ingress.MaxBytesInFlight", "must hold at least one object, with at least one GET and one key per LIST"));
        }
        return problems;
    }

    private static string Show(TimeSpan value) => value.TotalMilliseconds < 1 ? $"{value.TotalMicroseconds:0.#}us"
        : value.TotalSeconds < 1 ? $"{value.TotalMilliseconds:0.###}ms" : $"{value.TotalSeconds:0.###}s";
}
