using System.Buffers.Binary;
using Hoshino.NameService;
using Hoshino.UnitTests.NameService;
using static Hoshino.UnitTests.NameService.DnsMessages;

namespace Hoshino.UnitTests.Fuzz;

/// <summary>
/// <see cref="DnsResponder.Respond"/> on mutated queries: it never throws, never replies to what has
/// no header or is a response, and every reply is a well-formed message (the tests' own reader reads
/// it whole, pointers backward only) within the size the client may receive, with the query's id.
/// </summary>
public sealed class DnsQueryFuzzTests
{
    private const int Iterations = 200_000;

    private static readonly List<byte[]> Seeds =
    [
        Query("beta.hoshino", Aaaa),
        Query("Alpha.HOSHINO", Aaaa, ednsSize: null),
        Query("alpha.hoshino", A, dnssecOk: true),
        Query("gamma.hoshino", Aaaa, ednsSize: 512),
        Query("example.com", Aaaa),
        Query("hoshino", Soa),
        Query("a.b.c.d.e.f.hoshino", Any, ednsVersion: 1),
        [.. Query("x", Aaaa, ednsSize: null)[..12], 4, .. "beta"u8, 7, .. "hoshino"u8, 0xC0, 11, 0, 28, 0, 1],
    ];

    [Fact]
    public void Respond_MutatedQueries_NeverThrowsAndRepliesWellFormed()
    {
        var responder = new DnsResponder(DnsZone.Create("hoshino"), DnsResponderTests.Names());
        int seed = FuzzCorpus.Seed(0x5EED_0D45);
        var random = new Random(seed);
        var mutator = new Mutator(random, 4096);
        byte[] response = new byte[DnsResponder.MaxResponseLength];
        int[] outcomes = new int[Enum.GetValues<DnsResult>().Length];
        int inputs = FuzzCorpus.Scaled(Iterations);
        var start = FuzzChecks.Start();
        long respondAllocated = 0;   // the harness's own checks allocate (the test reader builds lists): count Respond's alone

        for (int i = 0; i < inputs; i++)
        {
            mutator.Load(Seeds[random.Next(Seeds.Count)]);
            mutator.Mutate(Seeds);
            ReadOnlySpan<byte> input = mutator.Input;
            bool overUdp = (i & 1) == 0;
            DnsResult result = DnsResult.Ignored;
            int length = 0;
            try
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                result = responder.Respond(input, response, overUdp, out length);
                respondAllocated += GC.GetAllocatedBytesForCurrentThread() - before;
            }
            catch (Exception ex)
            {
                FuzzChecks.Fail("dns", seed, i, input, $"Respond threw {ex}");
            }
            outcomes[(int)result]++;
            if (Problem(input, result, response.AsSpan(0, length), overUdp) is { } problem)
            {
                FuzzChecks.Fail("dns", seed, i, input, problem);
            }
        }

        FuzzChecks.Report("DnsResponder.Respond", inputs, start,
            string.Join(", ", Enum.GetValues<DnsResult>().Select(r => $"{r}={outcomes[(int)r]}")));
        // Only a name looked up in the directory becomes a string: a few bytes per input on average.
        double allocated = respondAllocated / (double)inputs;
        Assert.True(allocated < 64, $"Respond allocates {allocated:F1} bytes per input");
        Assert.All(Enum.GetValues<DnsResult>(), r => Assert.True(outcomes[(int)r] > 0, $"no input ended as {r}: the fuzzer does not reach it"));
    }

    private static string? Problem(ReadOnlySpan<byte> input, DnsResult result, ReadOnlySpan<byte> reply, bool overUdp)
    {
        bool unanswerable = input.Length < 12 || (input[2] & 0x80) != 0;
        if (unanswerable != (result == DnsResult.Ignored) || (result == DnsResult.Ignored) != (reply.Length == 0))
        {
            return $"result {result} with a {reply.Length}-byte reply to a {(unanswerable ? "message with no reply due" : "query")}";
        }
        if (reply.Length == 0)
        {
            return null;
        }
        if (overUdp && reply.Length > DnsWire.MaxUdpSize)
        {
            return $"a {reply.Length}-byte UDP reply";
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(reply) != BinaryPrimitives.ReadUInt16BigEndian(input) || (reply[2] & 0x80) == 0)
        {
            return "the reply has another id, or no QR bit";
        }
        try
        {
            Reply parsed = Parse(reply);
            if (overUdp && parsed.Opt is null && reply.Length > DnsWire.ClassicUdpSize)
            {
                return $"a {reply.Length}-byte UDP reply to a query without EDNS0";
            }
            if (result is DnsResult.Answer != (parsed.Answers.Count > 0))
            {
                return $"result {result} with {parsed.Answers.Count} answers";
            }
        }
        catch (Exception ex)
        {
            return $"the reply does not read back: {ex.Message}";
        }
        return null;
    }
}
