using Hoshino.Packets;
using static Hoshino.UnitTests.TestSupport.TestKeys;

namespace Hoshino.UnitTests.Packets;

/// <summary>The key itself: generation, fingerprint, hygiene. The file format is <see cref="NetworkKeyFileTests"/>'s.</summary>
public sealed class NetworkKeyTests
{

    [Fact]
    public void Generate_TwoKeys_Differ()
    {
        using NetworkKey a = NetworkKey.Generate();
        using NetworkKey b = NetworkKey.Generate();

        Assert.NotEqual(NetworkKeyFile.ToText(a), NetworkKeyFile.ToText(b));
        Assert.NotEqual(a.Fingerprint, b.Fingerprint);
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

    [Fact]
    public void FromBytes_WrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => NetworkKey.FromBytes(new byte[31]));
        Assert.Throws<ArgumentException>(() => NetworkKey.FromBytes(new byte[33]));
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

    [Fact]
    public void Dispose_ThenDeriveOrOpen_Throws()
    {
        NetworkKey key = NetworkKey.FromBytes(FixedKeyBytes);
        byte[] body = new byte[BundleFormat.EncodedLength(0, 0, seal: true)];
        BundleFormat.WriteHeader(body, BundleFormat.FlagSealed);
        BundleFormat.Seal(body, "a/b/c", key);
        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => key.DeriveSealingKey(new byte[16], new byte[NetworkKey.KeyLength]));
        Assert.Throws<ObjectDisposedException>(() => BundleFormat.Decode(body, "a/b/c", key, default, default, []));
        Assert.Throws<ObjectDisposedException>(() => NetworkKeyFile.ToText(key));
    }
}
