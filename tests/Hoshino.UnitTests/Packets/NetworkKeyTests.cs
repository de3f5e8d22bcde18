using System.Runtime.Versioning;
using System.Text;
using Hoshino.Packets;
using Hoshino.UnitTests.TestSupport;
using static Hoshino.UnitTests.TestSupport.TestKeys;

namespace Hoshino.UnitTests.Packets;

[UnsupportedOSPlatform("windows")] // file modes; Hoshino runs on Linux
public sealed class NetworkKeyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string WriteFile(string name, string content, UnixFileMode mode)
    {
        string path = Path.Combine(_dir.Path, name);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public void Generate_ExportText_TryParseGivesTheSameKey()
    {
        using NetworkKey key = NetworkKey.Generate();
        string text = key.ExportText();

        Assert.Equal(NetworkKey.TextLength, text.Length);
        Assert.True(NetworkKey.TryParse(Encoding.ASCII.GetBytes(text), out NetworkKey? parsed));
        using (parsed)
        {
            Assert.Equal(key.Fingerprint, parsed.Fingerprint);
        }
    }

    [Fact]
    public void Generate_TwoKeys_Differ()
    {
        using NetworkKey a = NetworkKey.Generate();
        using NetworkKey b = NetworkKey.Generate();

        Assert.NotEqual(a.ExportText(), b.ExportText());
        Assert.NotEqual(a.Fingerprint, b.Fingerprint);
    }

    [Fact]
    public void ExportText_FixedKey_IsStandardBase64()
    {
        using NetworkKey key = NetworkKey.FromBytes(FixedKeyBytes);

        Assert.Equal(FixedKeyText, key.ExportText());
        Assert.Equal(Convert.ToBase64String(FixedKeyBytes), key.ExportText());
    }

    [Fact]
    public void Fingerprint_FixedKey_KnownAnswer()
    {
        // Pins the fingerprint: 16 hex digits of SHA-256("hoshino network key fingerprint v1\0" || key).
        byte[] input = [.. "hoshino network key fingerprint v1\0"u8, .. FixedKeyBytes];
        string expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(input))[..16];
        using NetworkKey key = NetworkKey.FromBytes(FixedKeyBytes);

        Assert.Equal(expected, key.Fingerprint);
        Assert.Matches("^[0-9a-f]{16}$", key.Fingerprint);
    }

    [Fact]
    public void ToString_NeverContainsTheKey()
    {
        using NetworkKey key = NetworkKey.FromBytes(FixedKeyBytes);

        string text = key.ToString();

        Assert.DoesNotContain(FixedKeyText, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(FixedKeyBytes), text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(key.Fingerprint, text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FixedKeyText)]
    [InlineData(FixedKeyText + "\n")]
    [InlineData(FixedKeyText + "\r\n")]
    [InlineData("  " + FixedKeyText + " \t\n")]
    public void TryParse_OneLineWithSurroundingWhitespace_Accepted(string text)
    {
        Assert.True(NetworkKey.TryParse(Encoding.ASCII.GetBytes(text), out NetworkKey? key));
        using (key)
        {
            Assert.Equal(FixedKeyText, key.ExportText());
        }
    }

    public static TheoryData<string, string> BadTexts => new()
    {
        { "empty", "" },
        { "newline only", "\n" },
        { "43 characters", FixedKeyText[..^1] },
        { "45 characters", FixedKeyText + "A" },
        { "31 bytes", Convert.ToBase64String(new byte[31]) },
        { "33 bytes", Convert.ToBase64String(new byte[33]) },
        { "64 bytes", Convert.ToBase64String(new byte[64]) },
        { "hex", Convert.ToHexString(new byte[32]) },
        { "url-safe alphabet", Convert.ToBase64String([.. Enumerable.Repeat((byte)0xFB, 32)]).Replace('+', '-').Replace('/', '_') },
        { "not base64", "!" + FixedKeyText[1..] },
        { "no padding", FixedKeyText[..^1] + "A" },
        { "space inside", FixedKeyText[..20] + " " + FixedKeyText[21..] },
        { "non-zero trailing bits", FixedKeyText[..^2] + "9=" },
        { "two keys", FixedKeyText + "\n" + FixedKeyText + "\n" },
    };

    [Theory]
    [MemberData(nameof(BadTexts))]
    public void TryParse_WrongLengthOrFormat_Refused(string because, string text)
    {
        Assert.False(NetworkKey.TryParse(Encoding.ASCII.GetBytes(text), out NetworkKey? key), because);
        Assert.Null(key);
    }

    [Fact]
    public void FromBytes_WrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => NetworkKey.FromBytes(new byte[31]));
        Assert.Throws<ArgumentException>(() => NetworkKey.FromBytes(new byte[33]));
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite)]
    [InlineData(UnixFileMode.UserRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)]
    public void Load_OwnerOnlyReadWrite_Loads(UnixFileMode mode)
    {
        string path = WriteFile("key", FixedKeyText + "\n", mode);

        using NetworkKey key = NetworkKey.Load(path);

        Assert.Equal(FixedKeyText, key.ExportText());
    }

    [Theory]
    [InlineData(0b110_100_100)] // 0644
    [InlineData(0b110_100_000)] // 0640
    [InlineData(0b110_000_100)] // 0604
    [InlineData(0b110_010_000)] // 0620
    [InlineData(0b110_000_010)] // 0602
    [InlineData(0b110_110_110)] // 0666
    [InlineData(0b100_100_000)] // 0440
    public void Load_ReadableOrWritableByGroupOrOthers_FatalSayingChmod600(int mode)
    {
        string path = WriteFile("key", FixedKeyText + "\n", (UnixFileMode)mode);

        FatalException ex = Assert.Throws<FatalException>(() => NetworkKey.Load(path));

        Assert.Equal(ExitCodes.Config, ex.ExitCode);
        Assert.Contains($"chmod 600 {path}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("0" + Convert.ToString(mode, 8), ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(FixedKeyText, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Load_SymlinkToLooseFile_ChecksTheFileItself()
    {
        string target = WriteFile("key", FixedKeyText + "\n", (UnixFileMode)0b110_100_100);
        string link = Path.Combine(_dir.Path, "link");
        File.CreateSymbolicLink(link, target);

        FatalException ex = Assert.Throws<FatalException>(() => NetworkKey.Load(link));

        Assert.Contains("chmod 600", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hex")]
    [InlineData("short")]
    [InlineData("empty")]
    [InlineData("huge")]
    public void Load_NotAKey_FatalWithoutEchoingTheContent(string kind)
    {
        string content = kind switch
        {
            "hex" => Convert.ToHexString(FixedKeyBytes) + "\n",
            "short" => FixedKeyText[..40] + "\n",
            "empty" => "",
            _ => string.Concat(Enumerable.Repeat(FixedKeyText + "\n", 100)),
        };
        string path = WriteFile("key", content, Mode0600);

        FatalException ex = Assert.Throws<FatalException>(() => NetworkKey.Load(path));

        Assert.Equal(ExitCodes.Config, ex.ExitCode);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("hoshino keygen", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(FixedKeyText[..20], ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(FixedKeyBytes)[..20], ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_FatalNamingThePath()
    {
        string path = Path.Combine(_dir.Path, "missing");

        FatalException ex = Assert.Throws<FatalException>(() => NetworkKey.Load(path));

        Assert.Equal(ExitCodes.Config, ex.ExitCode);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteNewFile_CreatesOneLineMode0600ThatLoads()
    {
        string path = Path.Combine(_dir.Path, "network.key");
        using NetworkKey key = NetworkKey.Generate();

        key.WriteNewFile(path);

        Assert.Equal(Mode0600, File.GetUnixFileMode(path));
        string content = File.ReadAllText(path);
        Assert.Equal(key.ExportText() + "\n", content);
        Assert.Single(content.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using NetworkKey loaded = NetworkKey.Load(path);
        Assert.Equal(key.Fingerprint, loaded.Fingerprint);
    }

    [Fact]
    public void WriteNewFile_ExistingFile_RefusedAndLeftUntouched()
    {
        string path = WriteFile("network.key", "precious\n", Mode0600);
        using NetworkKey key = NetworkKey.Generate();

        FatalException ex = Assert.Throws<FatalException>(() => key.WriteNewFile(path));

        Assert.Contains("already exists", ex.Message, StringComparison.Ordinal);
        Assert.Equal("precious\n", File.ReadAllText(path));
    }

    [Fact]
    public void WriteNewFile_MissingDirectory_FatalNamingThePath()
    {
        string path = Path.Combine(_dir.Path, "no-such-dir", "network.key");
        using NetworkKey key = NetworkKey.Generate();

        FatalException ex = Assert.Throws<FatalException>(() => key.WriteNewFile(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_ThenSeal_Throws()
    {
        NetworkKey key = NetworkKey.Generate();
        key.Dispose();
        byte[] body = new byte[BundleFormat.EncodedLength(0, 0, seal: true)];
        BundleFormat.WriteHeader(body, BundleFormat.FlagSealed);

        Assert.Throws<ObjectDisposedException>(() => BundleFormat.Seal(body, "a/b/c", key));
    }
}
