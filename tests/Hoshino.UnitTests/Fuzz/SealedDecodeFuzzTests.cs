using Hoshino.Packets;
using Hoshino.Store;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Fuzz;

/// <summary>
/// <see cref="BundleFormat.Decode(Span{byte}, ReadOnlySpan{char}, NetworkKey?, Address16, Address16, List{Range})"/>
/// with a key: mutated sealed objects (format v2, and v1 from nodes not yet upgraded) never throw
/// and are never accepted unless unchanged; and mutated plaintexts, sealed properly (v2), get
/// exactly the verdict the same frames get unsealed.
/// </summary>
public sealed class SealedDecodeFuzzTests : IDisposable
{
    private const int TamperIterations = 200_000;
    private const int PlaintextIterations = 150_000;

    private static readonly string OtherObjectKey = new ObjectKey(Self16, Peer16, Ulid.Parse("01JDQ3Z5T9X4M8W2C6B0N7K1RG")).ToString(); // not RF: a corpus entry is sealed under that one

    private readonly NetworkKey _key = FuzzCorpus.CreateFuzzKey();

    public void Dispose() => _key.Dispose();

    [Fact]
    public void Decode_MutatedSealedObjects_NeverThrowsAndNeverAcceptsAChangedObject()
    {
        List<(string Name, byte[] Bytes)> entries = FuzzCorpus.Entries(FuzzCorpus.Sealed);
        List<byte[]> corpus = [.. entries.Select(e => e.Bytes)];
        // What may be accepted: the corpus's accepted entries, exactly. Every tampered entry is one
        // change away from one of them (CorpusTests.Generate), so a mutation that undoes it is no forgery.
        List<byte[]> authentic = [.. entries.Where(e => FuzzCorpus.Expected(e.Name) == "none").Select(e => e.Bytes)];
        Assert.NotEmpty(authentic);
        int seed = FuzzCorpus.Seed(0x5EED_0002);
        var random = new Random(seed);
        var mutator = new Mutator(random, 1 << 18);
        byte[] before = new byte[mutator.Buffer.Length];
        var frames = new List<Range>(64);
        int[] outcomes = new int[Enum.GetValues<RejectReason>().Length];
        // Per sealed version (v1, v2) of the input: how many opened, and how many failed to.
        int[] opened = new int[3], refused = new int[3];
        int inputs = FuzzCorpus.Scaled(TamperIterations);
        var start = FuzzChecks.Start();

        for (int i = 0; i < inputs; i++)
        {
            if (i % 4 != 0)
            {
                mutator.Load(corpus[random.Next(corpus.Count)]);
            }
            else
            {
                mutator.Load(before.AsSpan(0, mutator.Length)); // decoding overwrote the buffer; continue from what was decoded
            }
            mutator.Mutate(corpus);
            int length = mutator.Length;
            mutator.Input.CopyTo(before);
            // One input in 16 is looked up under another object key: a copy filed elsewhere must never open.
            bool misfiled = i % 16 == 0;
            RejectReason reason = RejectReason.None;
            try
            {
                reason = BundleFormat.Decode(mutator.Input, misfiled ? OtherObjectKey : FuzzCorpus.FuzzObjectKey, _key, Peer16, Self16, frames);
            }
            catch (Exception ex)
            {
                FuzzChecks.Fail(FuzzCorpus.Sealed, seed, i, before.AsSpan(0, length), $"Decode threw {ex}");
            }
            outcomes[(int)reason]++;
            if (length > 4 && before[0] == (byte)'H' && before[3] is BundleFormat.Version1 or BundleFormat.Version2 && before[4] == BundleFormat.FlagSealed)
            {
                if (reason == RejectReason.AuthFailed)
                {
                    refused[before[3]]++;
                }
                else if (reason != RejectReason.Malformed)
                {
                    opened[before[3]]++; // it opened; what the frames said is the verdict
                }
            }
            if (reason == RejectReason.None)
            {
                ReadOnlySpan<byte> original = before.AsSpan(0, length);
                bool isAuthentic = false;
                foreach (byte[] a in authentic)
                {
                    isAuthentic |= original.SequenceEqual(a);
                }
                if (misfiled || !isAuthentic)
                {
                    FuzzChecks.Fail(FuzzCorpus.Sealed, seed, i, original, misfiled ? "opened under another object key" : "accepted a sealed object that was changed: a forgery");
                }
            }
            if (FuzzChecks.CheckDecoded(mutator.Input, reason, frames, sealedLayout: true) is string problem)
            {
                FuzzChecks.Fail(FuzzCorpus.Sealed, seed, i, before.AsSpan(0, length), problem);
            }
        }

        FuzzChecks.Report("Decode (sealed, tampered)", inputs, start,
            $"{FuzzChecks.Describe(outcomes)}; opened v1 {opened[1]}, v2 {opened[2]}; auth_failed v1 {refused[1]}, v2 {refused[2]}");
        Assert.True(outcomes[(int)RejectReason.AuthFailed] > inputs / 4, FuzzChecks.Describe(outcomes));
        // Both sealed versions are reached on both sides of the tag check.
        Assert.True(opened[BundleFormat.Version2] > inputs / 1000 && refused[BundleFormat.Version2] > inputs / 20, $"v2: opened {opened[2]}, refused {refused[2]}");
        Assert.True(opened[BundleFormat.Version1] > inputs / 1000 && refused[BundleFormat.Version1] > inputs / 20, $"v1: opened {opened[1]}, refused {refused[1]}");
        foreach (RejectReason expected in new[] { RejectReason.None, RejectReason.Malformed, RejectReason.Unsealed, RejectReason.UnknownVersion, RejectReason.Empty })
        {
            Assert.True(outcomes[(int)expected] > 0, $"{expected} never produced: {FuzzChecks.Describe(outcomes)}");
        }
    }

    [Fact]
    public void Decode_MutatedPlaintextSealedProperly_SameVerdictAndFramesAsUnsealed()
    {
        List<byte[]> corpus = FuzzCorpus.Inputs(FuzzCorpus.Bundles);
        int seed = FuzzCorpus.Seed(0x5EED_0003);
        var random = new Random(seed);
        var mutator = new Mutator(random, 1 << 17);
        byte[] plain = new byte[mutator.Buffer.Length + BundleFormat.HeaderLength];
        byte[] sealedBody = new byte[plain.Length + BundleFormat.SealOverhead];
        var plainFrames = new List<Range>(64);
        var sealedFrames = new List<Range>(64);
        int[] outcomes = new int[Enum.GetValues<RejectReason>().Length];
        int inputs = FuzzCorpus.Scaled(PlaintextIterations);
        var start = FuzzChecks.Start();

        for (int i = 0; i < inputs; i++)
        {
            if (i % 4 != 0)
            {
                mutator.Load(corpus[random.Next(corpus.Count)]);
            }
            mutator.Mutate(corpus);
            // The frames section: what follows a plain header, or the whole input when it has none.
            ReadOnlySpan<byte> input = mutator.Input;
            ReadOnlySpan<byte> section = input.Length >= BundleFormat.HeaderLength && input.StartsWith("HSN"u8) && input[3] == 1 && input[4] == 0
                ? input[BundleFormat.HeaderLength..]
                : input;
            int plainLength = BundleFormat.WriteHeader(plain) + section.Length;
            section.CopyTo(plain.AsSpan(BundleFormat.HeaderLength));
            int sealedLength = plainLength + BundleFormat.SealOverhead;
            section.CopyTo(sealedBody.AsSpan(BundleFormat.WriteHeader(sealedBody, BundleFormat.FlagSealed)));
            BundleFormat.Seal(sealedBody.AsSpan(0, sealedLength), FuzzCorpus.FuzzObjectKey, _key);

            RejectReason plainReason = BundleFormat.Decode(plain.AsSpan(0, plainLength), Peer16, Self16, plainFrames);
            RejectReason sealedReason = RejectReason.None;
            try
            {
                sealedReason = BundleFormat.Decode(sealedBody.AsSpan(0, sealedLength), FuzzCorpus.FuzzObjectKey, _key, Peer16, Self16, sealedFrames);
            }
            catch (Exception ex)
            {
                FuzzChecks.Fail(FuzzCorpus.Bundles, seed, i, plain.AsSpan(0, plainLength), $"Decode of the sealed form threw {ex}");
            }
            outcomes[(int)sealedReason]++;
            if (sealedReason != plainReason || !SameFramesShifted(plainFrames, sealedFrames))
            {
                FuzzChecks.Fail(FuzzCorpus.Bundles, seed, i, plain.AsSpan(0, plainLength),
                    $"sealed verdict {sealedReason} ({sealedFrames.Count} frames) differs from plain {plainReason} ({plainFrames.Count} frames)");
            }
            if (FuzzChecks.CheckDecoded(sealedBody.AsSpan(0, sealedLength), sealedReason, sealedFrames, sealedLayout: true) is string problem)
            {
                FuzzChecks.Fail(FuzzCorpus.Bundles, seed, i, plain.AsSpan(0, plainLength), problem);
            }
        }

        double allocated = FuzzChecks.Report("Decode (sealed, mutated plaintext)", inputs, start, FuzzChecks.Describe(outcomes));
        // Each object has its own key, so seal and open each create one AesGcm (the object and its
        // SafeHandle, ~61 bytes: 122.6 per input measured); associated data and derived keys are on
        // the stack. Anything more is a regression.
        Assert.True(allocated < 160, $"Seal, Decode (or the harness) allocate {allocated:F1} bytes per input");
        Assert.True(outcomes[(int)RejectReason.None] > inputs / 50, FuzzChecks.Describe(outcomes));
        Assert.Equal(0, outcomes[(int)RejectReason.AuthFailed]);
    }

    private static bool SameFramesShifted(List<Range> plain, List<Range> sealedFrames)
    {
        if (plain.Count != sealedFrames.Count)
        {
            return false;
        }
        for (int i = 0; i < plain.Count; i++)
        {
            if (plain[i].Start.Value + BundleFormat.SaltLength != sealedFrames[i].Start.Value
                || plain[i].End.Value + BundleFormat.SaltLength != sealedFrames[i].End.Value)
            {
                return false;
            }
        }
        return true;
    }
}
