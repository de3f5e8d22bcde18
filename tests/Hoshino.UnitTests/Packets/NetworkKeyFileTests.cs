using System.Runtime.Versioning;
using System.Text;
using Hoshino.Packets;
using Hoshino.UnitTests.TestSupport;
using static Hoshino.UnitTests.TestSupport.TestKeys;

namespace Hoshino.UnitTests.Packets;

/// <summary>The key file: its one-line text format, the owner-only permission policy, and keygen's writer.</summary>
[UnsupportedOSPlatform("windows")] // file modes; Hoshino runs on Linux
public sealed class NetworkKeyFileTests : IDisposable
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
    public void Generate_ToText_TryParseGivesTheSameKey()
    {
        using NetworkKey key = NetworkKey.Generate();
        string text = NetworkKeyFile.ToText(key);

        Assert.Equal(NetworkKeyFile.TextLength, text.Length);
        Assert.True(NetworkKeyFile.TryParse(Encoding.ASCII.GetBytes(text), out NetworkKey? parsed));
        using (parsed)
        {
            Assert.Equal(key.Fingerprint, parsed.Fingerprint);
        }
    }

    [Fact]
    public void ToText_FixedKey_IsStandardBase64()
    {
        using NetworkKey key = NetworkKey.FromBytes(FixedKeyBytes);

        Assert.Equal(FixedKeyText, NetworkKeyFile.ToText(key));
        Assert.Equal(Convert.ToBase64String(FixedKeyBytes), NetworkKeyFile.ToText(key));
    }

    [Theory]
    [InlineData(FixedKeyText)]
    [InlineData(FixedKeyText + "\n")]
    [InlineData(FixedKeyText + "\r\n")]
    [InlineData("  " + FixedKeyText + " \t\n")]
    public void TryParse_OneLineWithSurroundingWhitespace_Accepted(string text)
    {
        Assert.True(NetworkKeyFile.TryParse(Encoding.ASCII.GetBytes(text), out NetworkKey? key));
        using (key)
        {
            Assert.Equal(FixedKeyText, NetworkKeyFile.ToText(key));
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
        Assert.False(NetworkKeyFile.TryParse(Encoding.ASCII.GetBytes(text), out NetworkKey? key), because);
        Assert.Null(key);
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite)]
    [InlineData(UnixFileMode.UserRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)]
    public void Load_OwnerOnlyReadWrite_Loads(UnixFileMode mode)
    {
        string path = WriteFile("key", FixedKeyText + "\n", mode);

        using NetworkKey key = NetworkKeyFile.Load(path);

        Assert.Equal(FixedKeyText, NetworkKeyFile.ToText(key));
    }

    [Theory]
    [InlineData(0b110_100_100)] // 0644
    [InlineData(0b110_100_000)] // 0640
    [InlineData(0b110_000_100)] // 0604
    [InlineData(0b110_010_000)] // 0620
    [InlineData(0b110_000_010)] // 0602
    [InlineData(0b110_110_110)] // 0666
    [InlineData(0b100_100_000)] // 0440
    public void Load_ReadableOrWritableByGroupOrOthers_ExposedSayingChmod600(int mode)
    {
        string path = WriteFile("key", FixedKeyText + "\n", (UnixFileMode)mode);

        NetworkKeyFileException ex = Assert.Throws<NetworkKeyFileException>(() => NetworkKeyFile.Load(path));

        Assert.Equal(NetworkKeyFileProblem.Exposed, ex.Problem);
        Assert.Equal(path, ex.Path);
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

        NetworkKeyFileException ex = Assert.Throws<NetworkKeyFileException>(() => NetworkKeyFile.Load(link));

        Assert.Equal(NetworkKeyFileProblem.Exposed, ex.Problem);
        Assert.Contains("chmod 600", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hex")]
    [InlineData("short")]
    [InlineData("empty")]
    [InlineData("huge")]
    public void Load_NotAKey_NotAKeyWithoutEchoingTheContent(string kind)
    {
        string content = kind switch
        {
            "hex" => Convert.ToHexString(FixedKeyBytes) + "\n",
            "short" => FixedKeyText[..40] + "\n",
            "empty" => "",
            _ => string.Concat(Enumerable.Repeat(FixedKeyText + "\n", 100)),
        };
        string path = WriteFile("key", content, Mode0600);

        NetworkKeyFileException ex = Assert.Throws<NetworkKeyFileException>(() => NetworkKeyFile.Load(path));

        Assert.Equal(NetworkKeyFileProblem.NotAKey, ex.Problem);
        Assert.Equal(path, ex.Path);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("hoshino keygen", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(FixedKeyText[..20], ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(FixedKeyBytes)[..20], ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_UnreadableNamingThePath()
    {
        string path = Path.Combine(_dir.Path, "missing");

        NetworkKeyFileException ex = Assert.Throws<NetworkKeyFileException>(() => NetworkKeyFile.Load(path));

        Assert.Equal(NetworkKeyFileProblem.Unreadable, ex.Problem);
        Assert.Equal(path, ex.Path);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteNew_CreatesOneLineMode0600ThatLoads()
    {
        string path = Path.Combine(_dir.Path, "network.key");
        using NetworkKey key = NetworkKey.Generate();

        NetworkKeyFile.WriteNew(path, key);

        Assert.Equal(Mode0600, File.GetUnixFileMode(path));
        string content = File.ReadAllText(path);
        Assert.Equal(NetworkKeyFile.ToText(key) + "\n", content);
        Assert.Single(content.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using NetworkKey loaded = NetworkKeyFile.Load(path);
        Assert.Equal(key.Fingerprint, loaded.Fingerprint);
    }

    [Fact]
    public void WriteNew_ExistingFile_RefusedAndLeftUntouched()
    {
        string path = WriteFile("network.key", "precious\n", Mode0600);
        using NetworkKey key = NetworkKey.Generate();

        NetworkKeyFileException ex = Assert.Throws<NetworkKeyFileException>(() => NetworkKeyFile.WriteNew(path, key));

        Assert.Equal(NetworkKeyFileProblem.AlreadyExists, ex.Problem);
        Assert.Contains("already exists", ex.Message, StringComparison.Ordinal);
        Assert.Equal("precious\n", File.ReadAllText(path));
    }

    [Fact]
    public void WriteNew_MissingDirectory_CannotCreateNamingThePath()
    {
        string path = Path.Combine(_dir.Path, "no-such-dir", "network.key");
        using NetworkKey key = NetworkKey.Generate();

        NetworkKeyFileException ex = Assert.Throws<NetworkKeyFileException>(() => NetworkKeyFile.WriteNew(path, key));

        Assert.Equal(NetworkKeyFileProblem.CannotCreate, ex.Problem);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }
}
