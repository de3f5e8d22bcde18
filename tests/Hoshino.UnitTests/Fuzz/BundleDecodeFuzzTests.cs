using Hoshino.Packets;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Fuzz;

/// <summary>
/// <see cref="BundleFormat.Decode(ReadOnlySpan{byte}, Address16, Address16, List{Range})"/> (no key)
/// on mutations of the seed corpus: it never throws, and whatever it accepts is whole and valid.
/// </summary>
public sealed class BundleDecodeFuzzTests
{
    private const int Iterations = 500_000;

    [Fact]
    public void Decode_MutatedCorpus_NeverThrowsAndAcceptsOnlyWholeValidObjects()
    {
        List<byte[]> corpus = [.. FuzzCorpus.Inputs(FuzzCorpus.Bundles), .. FuzzCorpus.Inputs(FuzzCorpus.Sealed)];
        int seed = FuzzCorpus.Seed(0x5EED_0001);
        var random = new Random(seed);
        var mutator = new Mutator(random, 1 << 18);
        var frames = new List<Range>(64);
        int[] outcomes = new int[Enum.GetValues<RejectReason>().Length];
        int inputs = FuzzCorpus.Scaled(Iterations);
        var start = FuzzChecks.Start();

        for (int i = 0; i < inputs; i++)
        {
            // Mostly a fresh seed; every fourth input keeps mutating the last one, for deeper chains.
            if (i % 4 != 0)
            {
                mutator.Load(corpus[random.Next(corpus.Count)]);
            }
            mutator.Mutate(corpus);
            RejectReason reason = RejectReason.None;
            try
            {
                reason = BundleFormat.Decode(mutator.Input, Peer16, Self16, frames);
            }
            catch (Exception ex)
            {
                FuzzChecks.Fail(nameof(FuzzCorpus.Bundles), seed, i, mutator.Input, $"Decode threw {ex}");
            }
            outcomes[(int)reason]++;
            if (FuzzChecks.CheckDecoded(mutator.Input, reason, frames, sealedLayout: false) is string problem)
            {
                FuzzChecks.Fail(FuzzCorpus.Bundles, seed, i, mutator.Input, problem);
            }
        }

        double allocated = FuzzChecks.Report("Decode (plain)", inputs, start, FuzzChecks.Describe(outcomes));
        Assert.True(allocated < 1, $"Decode (or the harness) allocates {allocated:F1} bytes per input");
        // The mutations must reach both sides of every decision, or the properties above say little.
        Assert.True(outcomes[(int)RejectReason.None] > inputs / 50, FuzzChecks.Describe(outcomes));
        foreach (RejectReason expected in new[] { RejectReason.Empty, RejectReason.Malformed, RejectReason.UnknownVersion, RejectReason.Sealed,
                     RejectReason.NotIpv6, RejectReason.WrongSource, RejectReason.WrongDestination })
        {
            Assert.True(outcomes[(int)expected] > inputs / 1000, $"{expected} too rare: {FuzzChecks.Describe(outcomes)}");
        }
    }
}
