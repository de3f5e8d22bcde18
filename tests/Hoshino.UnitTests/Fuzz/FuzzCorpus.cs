using System.Runtime.CompilerServices;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.UnitTests.TestSupport;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Fuzz;

/// <summary>
/// The seed corpus in <c>Fuzz/corpus/</c> (see its README.md) and what the fuzz tests share. File
/// names say what the entry must decode to: <c>{reason}--{description}</c> (reason as its metric
/// label), or <c>crash--…</c> for an input that once made a target throw (no expectation but that).
/// </summary>
internal static class FuzzCorpus
{
    public const string Bundles = "bundle";   // plain objects and bare packets; expectations without a key
    public const string Sealed = "sealed";    // sealed with FuzzKey under FuzzObjectKey; expectations with that key
    public const string ObjectKeys = "objectkey";

    /// <summary>The object key every sealed corpus entry was sealed under: dest Self, src Peer.</summary>
    public static readonly string FuzzObjectKey = new ObjectKey(Self16, Peer16, Ulid.Parse("01JDQ3Z5T9X4M8W2C6B0N7K1RE")).ToString();

    /// <summary>The key every sealed corpus entry was sealed with (bytes 0x00..0x1F).</summary>
    public static NetworkKey CreateFuzzKey() => NetworkKey.FromBytes(TestKeys.FixedKeyBytes);

    /// <summary>Iterations scale with HOSHINO_FUZZ_SCALE (default 1) for longer local runs.</summary>
    public static int Scaled(int iterations) =>
        int.TryParse(Environment.GetEnvironmentVariable("HOSHINO_FUZZ_SCALE"), out int scale) && scale > 0 ? iterations * scale : iterations;

    /// <summary>A fixed seed per test so CI is reproducible; HOSHINO_FUZZ_SEED explores elsewhere.</summary>
    public static int Seed(int fixedSeed) =>
        int.TryParse(Environment.GetEnvironmentVariable("HOSHINO_FUZZ_SEED"), out int seed) ? seed : fixedSeed;

    /// <summary>The corpus as copied next to the test assembly.</summary>
    public static string Directory(string target) => Path.Combine(AppContext.BaseDirectory, "Fuzz", "corpus", target);

    /// <summary>The corpus in the source tree (where new entries and crashes belong).</summary>
    public static string SourceDirectory(string target, [CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "corpus", target);

    public static List<(string Name, byte[] Bytes)> Entries(string target) =>
        [.. System.IO.Directory.GetFiles(Directory(target)).Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileNameWithoutExtension(f), File.ReadAllBytes(f)))];

    public static List<byte[]> Inputs(string target)
    {
        List<byte[]> inputs = [.. Entries(target).Select(e => e.Bytes)];
        Assert.True(inputs.Count >= 5, $"the {target} corpus is missing from {Directory(target)}");
        return inputs;
    }

    /// <summary>The reason label in an entry's name, or null for crash entries.</summary>
    public static string? Expected(string name) => name.StartsWith("crash--", StringComparison.Ordinal) ? null : name[..name.IndexOf("--", StringComparison.Ordinal)];

    /// <summary>
    /// Keeps an input that broke a target, so it joins the corpus: in the source tree when it is
    /// there (a developer's checkout), else in the temp directory. Returns where it went.
    /// </summary>
    public static string SaveCrash(string target, ReadOnlySpan<byte> input)
    {
        string name = $"crash--{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(input))[..16]}.bin";
        string directory = System.IO.Directory.Exists(SourceDirectory(target)) ? SourceDirectory(target) : Path.Combine(Path.GetTempPath(), "hoshino-fuzz-crashes", target);
        System.IO.Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, name);
        File.WriteAllBytes(path, input.ToArray());
        return path;
    }

    public static string Describe(ReadOnlySpan<byte> input) =>
        $"{input.Length} bytes: {Convert.ToHexString(input[..Math.Min(input.Length, 96)])}{(input.Length > 96 ? "…" : "")}";
}
