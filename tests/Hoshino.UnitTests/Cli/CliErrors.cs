namespace Hoshino.UnitTests.Cli;

/// <summary>How a bad flag fails: one line for the operator and exit code 2 (DESIGN §2), no stack trace.</summary>
internal static class CliErrors
{
    public static string UsageError(Action parse)
    {
        FatalException error = Assert.Throws<FatalException>(parse);
        Assert.Equal(ExitCodes.Usage, error.ExitCode);
        Assert.DoesNotContain('\n', error.Message);
        return error.Message;
    }
}
