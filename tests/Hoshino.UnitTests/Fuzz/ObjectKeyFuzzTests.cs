using System.Text;
using Hoshino.Store;

namespace Hoshino.UnitTests.Fuzz;

/// <summary>
/// <see cref="ObjectKey.TryParse"/> on mutated keys: never throws, and whatever it accepts is the
/// one canonical spelling of that key (so one object has exactly one key).
/// </summary>
public sealed class ObjectKeyFuzzTests
{
    private const int Iterations = 200_000;

    [Fact]
    public void TryParse_MutatedKeys_NeverThrowsAndAcceptsOnlyCanonicalKeys()
    {
        List<string> corpus = [.. FuzzCorpus.Entries(FuzzCorpus.ObjectKeys).Select(e => Encoding.UTF8.GetString(e.Bytes))];
        Assert.True(corpus.Count >= 5);
        int seed = FuzzCorpus.Seed(0x5EED_0005);
        var random = new Random(seed);
        var mutator = new TextMutator(random, 512);
        int accepted = 0;
        int inputs = FuzzCorpus.Scaled(Iterations);
        var start = FuzzChecks.Start();

        for (int i = 0; i < inputs; i++)
        {
            if (i % 4 != 0)
            {
                mutator.Load(corpus[random.Next(corpus.Count)]);
            }
            mutator.Mutate(corpus);
            // TryParse takes a string: one allocation per input, the only one in the loop.
            string key = new(mutator.Input);
            bool parsed = false;
            ObjectKey? result = null;
            try
            {
                parsed = ObjectKey.TryParse(key, out result);
            }
            catch (Exception ex)
            {
                FuzzChecks.Fail(FuzzCorpus.ObjectKeys, seed, i, Encoding.UTF8.GetBytes(key), $"TryParse threw {ex}");
            }
            if (parsed)
            {
                accepted++;
                ObjectKey value = result!.Value;
                if (value.ToString() != key || !key.StartsWith(ObjectKey.InboxOf(value.Destination), StringComparison.Ordinal) || !Ascii.IsValid(key))
                {
                    FuzzChecks.Fail(FuzzCorpus.ObjectKeys, seed, i, Encoding.UTF8.GetBytes(key), $"accepted a non-canonical key (canonical: {value})");
                }
            }
        }

        FuzzChecks.Report("ObjectKey.TryParse", inputs, start, $"accepted={accepted}");
        Assert.InRange(accepted, inputs / 50, inputs - inputs / 50);
    }
}
