namespace Hoshino.UnitTests.TestSupport;

/// <summary>Polls for a condition with a generous timeout, so tests never depend on tight timings.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    public static async Task True(Func<bool> condition, string because, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {because}");
            }
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    public static async Task True(Func<Task<bool>> condition, string because, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {because}");
            }
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }
}
