using Hoshino.Egress;
using Hoshino.Ingress;
using Hoshino.Node;
using Hoshino.Tunnel;

namespace Hoshino.UnitTests.Node;

public sealed class NodeConfigProblemsTests
{
    [Fact]
    public void Of_Defaults_NoProblem() => Assert.Empty(NodeConfigProblems.Of(new IngressOptions(), new EgressOptions()));

    [Fact]
    public void Of_PollMaxBelowPollMin_NamesBothSettings()
    {
        var ingress = new IngressOptions { PollMin = TimeSpan.FromSeconds(2), PollMax = TimeSpan.FromSeconds(1) };

        ConfigProblem problem = Assert.Single(NodeConfigProblems.Of(ingress, new EgressOptions()));

        Assert.Equal("Ingress.PollMax", problem.Setting);
        Assert.Contains("{Ingress.PollMin}", problem.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Of_RingAfterNotBelowLinger_Refused()
    {
        ConfigProblem problem = Assert.Single(NodeConfigProblems.Of(new IngressOptions { Linger = TimeSpan.FromSeconds(1) },
            new EgressOptions { RingAfter = TimeSpan.FromSeconds(1) }));

        Assert.Equal("Egress.RingAfter", problem.Setting);
    }

    [Theory]
    [InlineData("hoshino0", true)]
    [InlineData("exactly15bytes_", true)]
    [InlineData("sixteen-bytes-xx", false)]
    [InlineData("hoshino-\u00e9\u00e9\u00e9\u00e9\u00e9", false)] // 13 characters, 18 bytes: the kernel counts bytes
    [InlineData("", false)]
    [InlineData("a/b", false)]
    [InlineData("a:b", false)]
    [InlineData("a b", false)]
    [InlineData("..", false)]
    public void ProblemWithName_KernelRules(string name, bool valid) => Assert.Equal(valid, LinkConfig.ProblemWithName(name) is null);
}
