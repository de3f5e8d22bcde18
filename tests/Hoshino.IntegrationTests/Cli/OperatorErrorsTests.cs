using Hoshino.Cli;
using Hoshino.Packets;

namespace Hoshino.IntegrationTests.Cli;

/// <summary>
/// The executable's mapping from what Core reports to exit codes (<see cref="OperatorErrors"/>):
/// the codes the CLI had when Core still carried them, so systemd units see no change.
/// </summary>
public sealed class OperatorErrorsTests
{
    [Theory]
    [InlineData(NetworkKeyFileProblem.Unreadable, ExitCodes.Config)]
    [InlineData(NetworkKeyFileProblem.Exposed, ExitCodes.Config)]
    [InlineData(NetworkKeyFileProblem.NotAKey, ExitCodes.Config)]
    [InlineData(NetworkKeyFileProblem.AlreadyExists, ExitCodes.Failure)]
    [InlineData(NetworkKeyFileProblem.CannotCreate, ExitCodes.Failure)]
    [InlineData(NetworkKeyFileProblem.WriteFailed, ExitCodes.Failure)]
    public void ExitCodeOf_NetworkKeyFileProblem_ConfigForABadFileFailureForKeygen(NetworkKeyFileProblem problem, int expected)
    {
        Assert.Equal(expected, OperatorErrors.ExitCodeOf(new NetworkKeyFileException(problem, "/k", "m")));
    }

    [Fact]
    public void ExitCodeOf_EveryNetworkKeyFileProblem_IsMapped()
    {
        foreach (NetworkKeyFileProblem problem in Enum.GetValues<NetworkKeyFileProblem>())
        {
            Assert.NotNull(OperatorErrors.ExitCodeOf(new NetworkKeyFileException(problem, "/k", "m")));
        }
    }

    [Fact]
    public void ExitCodeOf_FatalAndOthers_FatalKeepsItsCodeOthersAreNotOperatorErrors()
    {
        Assert.Equal(ExitCodes.Usage, OperatorErrors.ExitCodeOf(new FatalException("m", ExitCodes.Usage)));
        Assert.Equal(ExitCodes.Config, OperatorErrors.ExitCodeOf(new PlatformNotSupportedException("no AES-GCM")));
        Assert.Null(OperatorErrors.ExitCodeOf(new InvalidOperationException("a bug")));
    }
}
